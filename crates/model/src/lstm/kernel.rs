//! Framework-free LSTM forward and backward (BPTT) on `f32` slices.
//!
//! Layout and maths follow Keras' `LSTM` exactly, so weights port 1:1:
//! * `w`  (kernel)           `[input, 4*hidden]`, row-major,
//! * `u`  (recurrent kernel) `[hidden, 4*hidden]`,
//! * `b`  (bias)             `[4*hidden]`, one bias per gate,
//! * gate order `i, f, g(c), o`; `c_t = f*c_{t-1} + i*g`, `h_t = o*tanh(c_t)`, zero initial state.
//!
//! Every buffer is batch-major (`[batch, steps, ...]`, the layout of the input), so no transposes
//! are needed: the per-step recurrent GEMM addresses rows `(b, t)` with a stride of `steps` rows.
//!
//! Speed notes:
//! * all input projections `x·W + b` are one GEMM over `batch*steps` rows;
//! * the sequential part is split by batch rows across the rayon pool, so the threads never
//!   synchronise inside the time loop (each thread owns a contiguous block of sequences);
//! * in the backward pass only `dh_{t-1} = dZ_t·Uᵀ` is sequential: `dW`, `dU`, `db`, `dX` are
//!   single large GEMMs/reductions over all timesteps once the loop is done;
//! * sigmoid/tanh use a vectorisable `exp` (≈1 ulp-ish, rel. err < 2e-7) compiled for AVX2+FMA
//!   when the CPU has it (runtime detection, so the binary stays portable).

use gemm::Parallelism;
use rayon::prelude::*;

/// Problem size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Examples in the batch.
    pub batch: usize,
    /// Timesteps.
    pub steps: usize,
    /// Input features per step.
    pub input: usize,
    /// Hidden units.
    pub hidden: usize,
}

impl Dims {
    fn g(&self) -> usize {
        4 * self.hidden
    }
    fn rows(&self) -> usize {
        self.batch * self.steps
    }
}

/// Activations saved by the forward pass for the backward pass (all `[batch, steps, ...]`).
#[derive(Clone, Debug)]
pub struct Cache {
    /// The shapes this cache was computed for.
    pub dims: Dims,
    /// Activated gates `[i, f, g, o]`, `[batch, steps, 4*hidden]`.
    pub gates: Vec<f32>,
    /// Cell state `c_t`, `[batch, steps, hidden]`.
    pub c: Vec<f32>,
    /// `tanh(c_t)`, `[batch, steps, hidden]`.
    pub tanh_c: Vec<f32>,
    /// Hidden state `h_t`, `[batch, steps, hidden]` (the full output sequence).
    pub h: Vec<f32>,
}

impl Drop for Cache {
    fn drop(&mut self) {
        for v in [&mut self.gates, &mut self.c, &mut self.tanh_c, &mut self.h] {
            pool::recycle(std::mem::take(v));
        }
    }
}

/// Recycles the large activation buffers between training steps: fresh multi-MB allocations
/// are served by `mmap` and cost a page fault per 4 KiB on first touch (~8% of a step).
mod pool {
    use std::sync::Mutex;

    static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());
    const MAX_BUFFERS: usize = 32;

    /// A buffer of `len` elements with unspecified (but initialised) contents.
    pub fn take(len: usize) -> Vec<f32> {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let best = (0..pool.len())
            .filter(|&i| pool[i].capacity() >= len)
            .min_by_key(|&i| pool[i].capacity());
        let mut v = best.map(|i| pool.swap_remove(i)).unwrap_or_default();
        drop(pool);
        if v.len() >= len {
            v.truncate(len);
        } else {
            v.resize(len, 0.0);
        }
        v
    }

    pub fn recycle(v: Vec<f32>) {
        if v.capacity() == 0 {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < MAX_BUFFERS {
            pool.push(v);
        }
    }
}

/// Gradients of the loss with respect to the op's inputs.
#[derive(Debug)]
pub struct Grads {
    /// `[batch, steps, input]`, only when requested.
    pub dx: Option<Vec<f32>>,
    /// Gradient of the input kernel `[input, 4H]`.
    pub dw: Vec<f32>,
    /// Gradient of the recurrent kernel `[H, 4H]`.
    pub du: Vec<f32>,
    /// Gradient of the bias `[4H]`.
    pub db: Vec<f32>,
}

/// Gradient flowing into the op's output.
#[derive(Clone, Copy, Debug)]
pub enum OutputGrad<'a> {
    /// `[batch, steps, hidden]`: the op returned the whole sequence.
    Sequence(&'a [f32]),
    /// `[batch, hidden]`: the op returned the last hidden state only.
    Last(&'a [f32]),
}

fn parallelism() -> Parallelism {
    match rayon::current_num_threads() {
        0 | 1 => Parallelism::None,
        n => Parallelism::Rayon(n),
    }
}

/// Number of sequences each thread takes in the time loops.
fn rows_per_task(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// `dst[m,n] (+)= lhs[m,k] · rhs[k,n]` with explicit (row, col) strides, in elements.
///
/// # Safety
///
/// Every element `dst + i * dst_rs + j` (i < m, j < n), `lhs + i * lhs_rs + l * lhs_cs`
/// (l < k) and `rhs + l * rhs_rs + j * rhs_cs` must lie inside a live allocation, and `dst`
/// must not overlap `lhs` or `rhs` (the `gemm` crate's contract).
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemm_strided(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: isize,
    accumulate: bool,
    lhs: *const f32,
    lhs_rs: isize,
    lhs_cs: isize,
    rhs: *const f32,
    rhs_rs: isize,
    rhs_cs: isize,
    scale: f32,
    par: Parallelism,
) {
    gemm::gemm(
        m, n, k, dst, 1, dst_rs, accumulate, lhs, lhs_cs, lhs_rs, rhs, rhs_cs, rhs_rs, 1.0, scale,
        false, false, false, par,
    );
}

/// Forward pass; returns every activation the backward pass needs (`h` is the output).
pub fn forward(d: Dims, x: &[f32], w: &[f32], u: &[f32], b: &[f32]) -> Cache {
    let (h_dim, g_dim, t_dim) = (d.hidden, d.g(), d.steps);
    assert_eq!(x.len(), d.rows() * d.input, "x shape");
    assert_eq!(w.len(), d.input * g_dim, "w shape");
    assert_eq!(u.len(), h_dim * g_dim, "u shape");
    assert_eq!(b.len(), g_dim, "bias shape");

    // Z = X·W + b for all timesteps at once.
    let mut gates = pool::take(d.rows() * g_dim);
    for row in gates.chunks_exact_mut(g_dim) {
        row.copy_from_slice(b);
    }
    // SAFETY: `gates` is rows x g_dim, `x` rows x input and `w` input x g_dim (asserted
    // above); m, n, k and the strides address exactly those elements.
    unsafe {
        gemm_strided(
            d.rows(),
            g_dim,
            d.input,
            gates.as_mut_ptr(),
            g_dim as isize,
            true,
            x.as_ptr(),
            d.input as isize,
            1,
            w.as_ptr(),
            g_dim as isize,
            1,
            1.0,
            parallelism(),
        );
    }
    // Fully overwritten below, so recycled contents are fine.
    let mut c = pool::take(d.rows() * h_dim);
    let mut tanh_c = pool::take(d.rows() * h_dim);
    let mut h = pool::take(d.rows() * h_dim);

    // Recurrence, independent per block of sequences.
    let rpt = rows_per_task(d.batch);
    gates
        .par_chunks_mut(rpt * t_dim * g_dim)
        .zip(c.par_chunks_mut(rpt * t_dim * h_dim))
        .zip(tanh_c.par_chunks_mut(rpt * t_dim * h_dim))
        .zip(h.par_chunks_mut(rpt * t_dim * h_dim))
        .for_each(|(((gates, c), tanh_c), h)| {
            let nb = h.len() / (t_dim * h_dim);
            for t in 0..t_dim {
                if t > 0 {
                    // Z[:, t] += h[:, t-1] · U
                    // SAFETY: step t of this chunk's nb sequences in `gates` and step t-1 in `h`
                    // (nb * t_dim rows each, the chunk's own), `u` h_dim x g_dim: every row
                    // stride is t_dim rows, so the indices stay inside the chunk.
                    unsafe {
                        gemm_strided(
                            nb,
                            g_dim,
                            h_dim,
                            gates.as_mut_ptr().add(t * g_dim),
                            (t_dim * g_dim) as isize,
                            true,
                            h.as_ptr().add((t - 1) * h_dim),
                            (t_dim * h_dim) as isize,
                            1,
                            u.as_ptr(),
                            g_dim as isize,
                            1,
                            1.0,
                            Parallelism::None,
                        );
                    }
                }
                for r in 0..nb {
                    let row = r * t_dim + t;
                    let z = &mut gates[row * g_dim..(row + 1) * g_dim];
                    let s = row * h_dim;
                    let (c_prev, c_t) = if t == 0 {
                        (None, &mut c[s..s + h_dim])
                    } else {
                        let (a, b) = c.split_at_mut(s);
                        (Some(&a[s - h_dim..]), &mut b[..h_dim])
                    };
                    cell_forward(
                        z,
                        c_prev,
                        c_t,
                        &mut tanh_c[s..s + h_dim],
                        &mut h[s..s + h_dim],
                    );
                }
            }
        });

    Cache {
        dims: d,
        gates,
        c,
        tanh_c,
        h,
    }
}

/// Backward pass (BPTT). Consumes the cache: `dZ` is written over the saved gates.
pub fn backward(
    mut cache: Cache,
    x: &[f32],
    w: &[f32],
    u: &[f32],
    dy: OutputGrad<'_>,
    need_dx: bool,
) -> Grads {
    let d = cache.dims;
    let (h_dim, g_dim, t_dim) = (d.hidden, d.g(), d.steps);
    match dy {
        OutputGrad::Sequence(g) => assert_eq!(g.len(), d.rows() * h_dim, "dy shape"),
        OutputGrad::Last(g) => assert_eq!(g.len(), d.batch * h_dim, "dy shape"),
    }

    // Uᵀ, contiguous [4H, H]: gemm then reads the per-step LHS column-major and skips packing
    // (it would otherwise repack U at every timestep).
    let mut ut = vec![0.0f32; g_dim * h_dim];
    for (k, row) in u.chunks_exact(g_dim).enumerate() {
        for (g, v) in row.iter().enumerate() {
            ut[g * h_dim + k] = *v;
        }
    }
    let rpt = rows_per_task(d.batch);
    {
        let ut = &ut;
        let Cache {
            gates, c, tanh_c, ..
        } = &mut cache;
        gates
            .par_chunks_mut(rpt * t_dim * g_dim)
            .zip(c.par_chunks(rpt * t_dim * h_dim))
            .zip(tanh_c.par_chunks(rpt * t_dim * h_dim))
            .enumerate()
            .for_each(|(task, ((gates, c), tanh_c))| {
                let nb = c.len() / (t_dim * h_dim);
                let b0 = task * rpt;
                // dh arriving from step t+1 through U, and dc from step t+1.
                let mut dh_rec = vec![0.0f32; nb * h_dim];
                let mut dc_next = vec![0.0f32; nb * h_dim];
                let mut dh = vec![0.0f32; h_dim];
                for t in (0..t_dim).rev() {
                    for r in 0..nb {
                        let row = r * t_dim + t;
                        let dh_rec_r = &dh_rec[r * h_dim..(r + 1) * h_dim];
                        let dy_r = match dy {
                            OutputGrad::Sequence(g) => {
                                let s = ((b0 + r) * t_dim + t) * h_dim;
                                Some(&g[s..s + h_dim])
                            }
                            OutputGrad::Last(g) if t == t_dim - 1 => {
                                let s = (b0 + r) * h_dim;
                                Some(&g[s..s + h_dim])
                            }
                            OutputGrad::Last(_) => None,
                        };
                        match dy_r {
                            Some(g) => add_into(&mut dh, g, dh_rec_r),
                            None => dh.copy_from_slice(dh_rec_r),
                        }
                        let s = row * h_dim;
                        cell_backward(
                            &mut gates[row * g_dim..(row + 1) * g_dim],
                            (t > 0).then(|| &c[s - h_dim..s]),
                            &tanh_c[s..s + h_dim],
                            &dh,
                            &mut dc_next[r * h_dim..(r + 1) * h_dim],
                        );
                    }
                    if t > 0 {
                        // dh_rec = dZ[:, t] · Uᵀ
                        // SAFETY: as in the forward pass: step t of this chunk's nb sequences
                        // in `gates` and the chunk's `dh_rec`, `u` h_dim x g_dim; every index
                        // stays inside the chunk.
                        unsafe {
                            gemm_strided(
                                nb,
                                h_dim,
                                g_dim,
                                dh_rec.as_mut_ptr(),
                                h_dim as isize,
                                false,
                                gates.as_ptr().add(t * g_dim),
                                (t_dim * g_dim) as isize,
                                1,
                                ut.as_ptr(),
                                h_dim as isize,
                                1,
                                1.0,
                                Parallelism::None,
                            );
                        }
                    }
                }
            });
    }
    let dz = &cache.gates; // now holds dL/dZ, [rows, 4H]
    let h = &cache.h;
    let rows = d.rows();
    let par = parallelism();

    let mut dw = vec![0.0f32; d.input * g_dim];
    let mut du = vec![0.0f32; h_dim * g_dim];
    let mut db = vec![0.0f32; g_dim];
    // SAFETY: `dw` (input x g_dim), `du` (h_dim x g_dim) and `db` are allocated just above;
    // `x`, `h` and the gate gradients have the shapes asserted by `forward`.
    unsafe {
        // dW = Xᵀ · dZ
        gemm_strided(
            d.input,
            g_dim,
            rows,
            dw.as_mut_ptr(),
            g_dim as isize,
            false,
            x.as_ptr(),
            1,
            d.input as isize,
            dz.as_ptr(),
            g_dim as isize,
            1,
            1.0,
            par,
        );
        // dU = Σ_{b, t≥1} h[b,t-1]ᵀ · dZ[b,t]. Computed as one GEMM pairing every row r ≥ 1 with
        // row r-1, then removing the B-1 wrong pairs that straddle two sequences (t = 0).
        if rows > 1 {
            gemm_strided(
                h_dim,
                g_dim,
                rows - 1,
                du.as_mut_ptr(),
                g_dim as isize,
                false,
                h.as_ptr(),
                1,
                h_dim as isize,
                dz.as_ptr().add(g_dim),
                g_dim as isize,
                1,
                1.0,
                par,
            );
        }
        if d.batch > 1 {
            gemm_strided(
                h_dim,
                g_dim,
                d.batch - 1,
                du.as_mut_ptr(),
                g_dim as isize,
                true,
                h.as_ptr().add((t_dim - 1) * h_dim),
                1,
                (t_dim * h_dim) as isize,
                dz.as_ptr().add(t_dim * g_dim),
                (t_dim * g_dim) as isize,
                1,
                -1.0,
                Parallelism::None,
            );
        }
    }
    for row in dz.chunks_exact(g_dim) {
        for (acc, v) in db.iter_mut().zip(row) {
            *acc += v;
        }
    }
    let dx = need_dx.then(|| {
        let mut dx = vec![0.0f32; rows * d.input];
        // dX = dZ · Wᵀ
        // SAFETY: `dx` is allocated just above as rows x input; `gates` is rows x g_dim and
        // `w` input x g_dim.
        unsafe {
            gemm_strided(
                rows,
                d.input,
                g_dim,
                dx.as_mut_ptr(),
                d.input as isize,
                false,
                dz.as_ptr(),
                g_dim as isize,
                1,
                w.as_ptr(),
                1,
                g_dim as isize,
                1.0,
                par,
            );
        }
        dx
    });
    Grads { dx, dw, du, db }
}

#[inline]
fn add_into(dst: &mut [f32], a: &[f32], b: &[f32]) {
    for ((d, a), b) in dst.iter_mut().zip(a).zip(b) {
        *d = a + b;
    }
}

// ---------------------------------------------------------------------------------------------
// Elementwise cell maths, compiled twice: baseline and AVX2+FMA (picked at runtime).
// ---------------------------------------------------------------------------------------------

fn cell_forward(
    z: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tanh_c: &mut [f32],
    h: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports the enabled target features.
        return unsafe { cell_forward_avx2(z, c_prev, c, tanh_c, h) };
    }
    cell_forward_generic(z, c_prev, c, tanh_c, h)
}

fn cell_backward(
    gates: &mut [f32],
    c_prev: Option<&[f32]>,
    tanh_c: &[f32],
    dh: &[f32],
    dc_next: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports the enabled target features.
        return unsafe { cell_backward_avx2(gates, c_prev, tanh_c, dh, dc_next) };
    }
    cell_backward_generic(gates, c_prev, tanh_c, dh, dc_next)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2_fma() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// # Safety
///
/// The CPU must support AVX2 and FMA (callers check `has_avx2_fma`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn cell_forward_avx2(
    z: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tanh_c: &mut [f32],
    h: &mut [f32],
) {
    cell_forward_generic(z, c_prev, c, tanh_c, h)
}

/// # Safety
///
/// The CPU must support AVX2 and FMA (callers check `has_avx2_fma`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn cell_backward_avx2(
    gates: &mut [f32],
    c_prev: Option<&[f32]>,
    tanh_c: &[f32],
    dh: &[f32],
    dc_next: &mut [f32],
) {
    cell_backward_generic(gates, c_prev, tanh_c, dh, dc_next)
}

/// Activates the gate pre-activations in place and advances the cell.
#[inline(always)]
fn cell_forward_generic(
    z: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tanh_c: &mut [f32],
    h: &mut [f32],
) {
    let n = h.len();
    let (ifg, o) = z.split_at_mut(3 * n);
    let (i_f, g) = ifg.split_at_mut(2 * n);
    // (Separate loops: a `chain`ed iterator does not vectorise.)
    for v in i_f.iter_mut() {
        *v = sigmoid(*v);
    }
    for v in o.iter_mut() {
        *v = sigmoid(*v);
    }
    for v in g.iter_mut() {
        *v = tanh(*v);
    }
    let (i, f) = i_f.split_at(n);
    match c_prev {
        Some(cp) => {
            for ((((c, i), f), g), cp) in c.iter_mut().zip(i).zip(f).zip(&*g).zip(cp) {
                *c = f.mul_add(*cp, i * g);
            }
        }
        None => {
            for ((c, i), g) in c.iter_mut().zip(i).zip(&*g) {
                *c = i * g;
            }
        }
    }
    for (((h, tc), c), o) in h.iter_mut().zip(tanh_c.iter_mut()).zip(&*c).zip(&*o) {
        *tc = tanh(*c);
        *h = o * *tc;
    }
}

/// Turns the activated gates of one (row, t) into `dL/dZ` in place; updates `dc_next` to the
/// cell gradient flowing to step t-1.
#[inline(always)]
fn cell_backward_generic(
    gates: &mut [f32],
    c_prev: Option<&[f32]>,
    tanh_c: &[f32],
    dh: &[f32],
    dc_next: &mut [f32],
) {
    let n = dh.len();
    let (ifg, o) = gates.split_at_mut(3 * n);
    let (i_f, g) = ifg.split_at_mut(2 * n);
    let (i, f) = i_f.split_at_mut(n);
    let step = |i: &mut f32,
                f: &mut f32,
                g: &mut f32,
                o: &mut f32,
                tc: f32,
                dh: f32,
                dc: &mut f32,
                cp: f32| {
        let (iv, fv, gv, ov) = (*i, *f, *g, *o);
        let dcell = (dh * ov).mul_add(1.0 - tc * tc, *dc);
        *o = dh * tc * ov * (1.0 - ov);
        *i = dcell * gv * iv * (1.0 - iv);
        *f = dcell * cp * fv * (1.0 - fv);
        *g = dcell * iv * (1.0 - gv * gv);
        *dc = dcell * fv;
    };
    let it = i
        .iter_mut()
        .zip(f.iter_mut())
        .zip(g.iter_mut())
        .zip(o.iter_mut())
        .zip(tanh_c)
        .zip(dh)
        .zip(dc_next.iter_mut());
    match c_prev {
        Some(cp) => {
            for (((((((i, f), g), o), tc), dh), dc), cp) in it.zip(cp) {
                step(i, f, g, o, *tc, *dh, dc, *cp);
            }
        }
        None => {
            for ((((((i, f), g), o), tc), dh), dc) in it {
                step(i, f, g, o, *tc, *dh, dc, 0.0);
            }
        }
    }
}

/// `exp(x)` for `x` clamped to the finite range; Cephes polynomial, branch-free and free of
/// float→int conversions, so it vectorises.
#[inline(always)]
fn exp_approx(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let x = x.max(-87.0).min(88.0);
    let t = x.mul_add(LOG2E, MAGIC);
    let n = t - MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p.mul_add(r, 1.398_2e-3);
    p = p.mul_add(r, 8.333_452e-3);
    p = p.mul_add(r, 4.166_579_6e-2);
    p = p.mul_add(r, 1.666_666_5e-1);
    p = p.mul_add(r, 5.000_000_1e-1);
    let y = p.mul_add(r * r, r) + 1.0;
    // 2^n from n's bits in `t`: (bits(t) - bits(MAGIC) + 127) << 23.
    let scale = f32::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(127) << 23);
    y * scale
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_approx(-x))
}

#[inline(always)]
fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp_approx(-2.0 * x)) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_approx_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((exp_approx(x) as f64 - (x as f64).exp()) / (x as f64).exp()).abs();
            worst = worst.max(rel);
            x += 0.013;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
    }

    #[test]
    fn activations_match_std() {
        for k in -2000..2000 {
            let x = k as f32 * 0.01;
            assert!((sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6);
            assert!((tanh(x) - x.tanh()).abs() < 1e-6);
        }
    }
}
