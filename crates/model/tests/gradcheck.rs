//! The fused op against the tensor-op reference (burn autodiff) on small shapes.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use emovox_model::lstm::{op, reference};
use emovox_model::lstm_seed::LstmSeedConfig;

fn max_rel_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    let a = a.into_data().try_to_vec::<f32>().unwrap();
    let b = b.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    let diff = a
        .iter()
        .zip(&b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    diff / scale
}

struct Inputs {
    x: Tensor<3>,
    w: Tensor<2>,
    u: Tensor<2>,
    b: Tensor<1>,
}

fn inputs(device: &Device, [batch, steps, input, hidden]: [usize; 4]) -> Inputs {
    let n = Distribution::Normal(0.0, 1.0);
    Inputs {
        x: Tensor::random([batch, steps, input], n, device),
        w: Tensor::random([input, 4 * hidden], n, device).mul_scalar(0.5),
        u: Tensor::random([hidden, 4 * hidden], n, device).mul_scalar(0.5),
        b: Tensor::random([4 * hidden], n, device).mul_scalar(0.5),
    }
}

/// Loss = Σ y ⊙ R for a fixed random R, so dL/dy is dense and non-uniform.
fn check(dims: [usize; 4], last: bool) {
    let device = Device::flex().autodiff();
    device.seed(7);
    let Inputs { x, w, u, b } = inputs(&device, dims);
    let run = |fused: bool| {
        let (x, w, u, b) = (
            x.clone().require_grad(),
            w.clone().require_grad(),
            u.clone().require_grad(),
            b.clone().require_grad(),
        );
        let y: Tensor<3> = match (fused, last) {
            (true, false) => op::lstm_sequence(x.clone(), w.clone(), u.clone(), b.clone()),
            (false, false) => reference::lstm_sequence(x.clone(), w.clone(), u.clone(), b.clone()),
            (true, true) => {
                op::lstm_last(x.clone(), w.clone(), u.clone(), b.clone()).unsqueeze_dim(1)
            }
            (false, true) => {
                reference::lstm_last(x.clone(), w.clone(), u.clone(), b.clone()).unsqueeze_dim(1)
            }
        };
        // Same R for both runs: reseed before drawing.
        device.seed(99);
        let r = Tensor::<3>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device);
        let grads = (y.clone() * r).sum().backward();
        (
            y.inner(),
            x.grad(&grads).unwrap(),
            w.grad(&grads).unwrap(),
            u.grad(&grads).unwrap(),
            b.grad(&grads).unwrap(),
        )
    };
    let (y1, dx1, dw1, du1, db1) = run(true);
    let (y0, dx0, dw0, du0, db0) = run(false);
    let diffs = [
        ("y", max_rel_diff(y1, y0)),
        ("dx", max_rel_diff(dx1, dx0)),
        ("dW", max_rel_diff(dw1, dw0)),
        ("dU", max_rel_diff(du1, du0)),
        ("db", max_rel_diff(db1, db0)),
    ];
    println!("dims {dims:?} last={last}: {diffs:?}");
    for (name, d) in diffs {
        assert!(d < 2e-5, "{name}: max relative difference {d}");
    }
}

#[test]
fn sequence_output_matches_reference() {
    check([3, 7, 5, 6], false);
    check([4, 1, 3, 8], false);
}

#[test]
fn last_output_matches_reference() {
    check([3, 7, 5, 6], true);
    check([5, 12, 13, 16], true);
}

#[test]
fn inference_forward_matches_reference() {
    let device = Device::flex();
    device.seed(3);
    let Inputs { x, w, u, b } = inputs(&device, [4, 9, 5, 8]);
    let y1 = op::lstm_sequence(x.clone(), w.clone(), u.clone(), b.clone());
    let y0 = reference::lstm_sequence(x, w, u, b);
    assert!(max_rel_diff(y1, y0) < 2e-6);
}

#[test]
fn lstm_seed_has_keras_parameter_count() {
    let model = LstmSeedConfig::new().init(&Device::flex());
    assert_eq!(model.num_params(), 126_532);
}
