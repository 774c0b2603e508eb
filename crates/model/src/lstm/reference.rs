//! Straightforward LSTM from burn tensor ops (autodiff derives its backward). Same maths and
//! parameter layout as [`crate::lstm::kernel`]; used as the gradient-check oracle and as the fallback
//! on backends other than Flex.

use burn::tensor::{activation, Tensor};

/// All hidden states `[batch, steps, hidden]`.
pub fn lstm_sequence(x: Tensor<3>, w: Tensor<2>, u: Tensor<2>, b: Tensor<1>) -> Tensor<3> {
    Tensor::stack(run(x, w, u, b), 1)
}

/// Last hidden state `[batch, hidden]`.
pub fn lstm_last(x: Tensor<3>, w: Tensor<2>, u: Tensor<2>, b: Tensor<1>) -> Tensor<2> {
    run(x, w, u, b).pop().expect("at least one timestep")
}

fn run(x: Tensor<3>, w: Tensor<2>, u: Tensor<2>, b: Tensor<1>) -> Vec<Tensor<2>> {
    let [batch, steps, input] = x.dims();
    let [hidden, g4] = u.dims();
    let device = x.device();
    let xw = (x.reshape([batch * steps, input]).matmul(w) + b.unsqueeze::<2>())
        .reshape([batch, steps, g4]);
    let mut h = Tensor::<2>::zeros([batch, hidden], &device);
    let mut c = Tensor::<2>::zeros([batch, hidden], &device);
    let mut out = Vec::with_capacity(steps);
    for t in 0..steps {
        let z = xw.clone().narrow(1, t, 1).reshape([batch, g4]) + h.matmul(u.clone());
        let [zi, zf, zg, zo]: [Tensor<2>; 4] = z.chunk(4, 1).try_into().expect("4 gates");
        let (i, f) = (activation::sigmoid(zi), activation::sigmoid(zf));
        let (g, o) = (zg.tanh(), activation::sigmoid(zo));
        c = f * c + i * g;
        h = o * c.clone().tanh();
        out.push(h.clone());
    }
    out
}
