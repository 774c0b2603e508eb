//! Mixing a decoded buffer's channels to mono (librosa `to_mono`: the mean of the channels).

use super::*;

/// Appends the mono mix of `buf`'s frames `from..` to `out`.
///
/// Mono streams (all of RAVDESS but 5 clips, all of TESS) are converted straight into `out`:
/// no per-packet planar copy and no second copy into `out`. Other layouts go through the reused
/// `planes` buffers. Both use symphonia's own sample conversion, so the values are the same.
pub(super) fn push_mono(
    out: &mut Vec<f32>,
    planes: &mut Vec<Vec<f32>>,
    buf: &GenericAudioBufferRef<'_>,
    from: usize,
) {
    let frames = buf.frames();
    if from >= frames {
        return;
    }
    let part = buf.slice(from..);
    if buf.num_planes() == 1 {
        let at = out.len();
        out.resize(at + (frames - from), 0.0);
        part.copy_to_slice_planar::<f32, _>(&mut [&mut out[at..]]);
    } else {
        part.copy_to_vecs_planar::<f32>(planes);
        push_mono_planar(out, planes);
    }
}

pub(super) fn push_mono_planar(out: &mut Vec<f32>, planes: &[Vec<f32>]) {
    match planes.len() {
        0 => {}
        1 => out.extend_from_slice(&planes[0]),
        2 => out.extend(planes[0].iter().zip(&planes[1]).map(|(a, b)| (a + b) / 2.0)),
        n => {
            let frames = planes[0].len();
            out.reserve(frames);
            for i in 0..frames {
                let s: f32 = planes.iter().map(|p| p[i]).sum();
                out.push(s / n as f32);
            }
        }
    }
}

#[cfg(feature = "opus")]
pub(super) fn push_mono_interleaved(out: &mut Vec<f32>, data: &[f32], channels: usize) {
    match channels {
        1 => out.extend_from_slice(data),
        2 => out.extend(data.chunks_exact(2).map(|f| (f[0] + f[1]) / 2.0)),
        n => out.extend(
            data.chunks_exact(n)
                .map(|f| f.iter().sum::<f32>() / n as f32),
        ),
    }
}
