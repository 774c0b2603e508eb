//! The fused LSTM as a burn operation with a hand-written backward pass.
//!
//! burn 0.22 tensors are backend-erased (`Tensor<D>` over the `Dispatch` backend). A custom op
//! downcasts its inputs to a concrete primitive with `Tensor::try_into_primitive::<B>()`:
//! * `Autodiff<Flex, C>` → `AutodiffTensor<Flex>`: run the kernel on the inner `FlexTensor`s and
//!   register `LstmBackward` (burn's `Backward` trait) on the autodiff graph;
//! * `Flex` → `FlexTensor`: inference, kernel only;
//! * anything else: fall back to [`crate::lstm::reference`] (plain tensor ops, any backend).
//!
//! The result is wrapped back with `Tensor::from_primitive::<B>()`.

use std::sync::Arc;

use burn::backend::autodiff::{
    checkpoint::{
        base::Checkpointer,
        strategy::{BalancedCheckpointing, CheckpointStrategy, NoCheckpointing},
    },
    grads::Gradients,
    ops::{Backward, Ops, OpsKind},
};
use burn::backend::flex::FlexTensor;
use burn::backend::{tensor::FloatTensor, Autodiff, Flex, TensorMetadata};

/// `AutodiffTensor<Flex>` (the type itself is not exported by burn-autodiff).
type AdTensor = FloatTensor<Autodiff<Flex>>;
use burn::tensor::{DType, Tensor, TensorData};

use crate::lstm::kernel::{self, Dims, OutputGrad};

/// What the op returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// `[batch, steps, hidden]` (Keras `return_sequences=True`).
    Sequence,
    /// `[batch, hidden]` (Keras default).
    Last,
}

/// LSTM over `x: [batch, steps, input]` returning every hidden state `[batch, steps, hidden]`.
///
/// `w: [input, 4H]`, `u: [H, 4H]`, `b: [4H]`, Keras layout and gate order (i, f, g, o).
pub fn lstm_sequence(x: Tensor<3>, w: Tensor<2>, u: Tensor<2>, b: Tensor<1>) -> Tensor<3> {
    fused(&x, &w, &u, &b, Output::Sequence)
        .unwrap_or_else(|| crate::lstm::reference::lstm_sequence(x, w, u, b))
}

/// LSTM over `x: [batch, steps, input]` returning the last hidden state `[batch, hidden]`.
pub fn lstm_last(x: Tensor<3>, w: Tensor<2>, u: Tensor<2>, b: Tensor<1>) -> Tensor<2> {
    fused(&x, &w, &u, &b, Output::Last)
        .unwrap_or_else(|| crate::lstm::reference::lstm_last(x, w, u, b))
}

/// The fused kernel, when all inputs live on `Flex` or `Autodiff<Flex>`; `None` otherwise.
fn fused<const D: usize>(
    x: &Tensor<3>,
    w: &Tensor<2>,
    u: &Tensor<2>,
    b: &Tensor<1>,
    out: Output,
) -> Option<Tensor<D>> {
    if x.device().is_autodiff() {
        // The dispatch conversion is implemented per concrete checkpointing strategy.
        macro_rules! with_strategy {
            ($c:ty) => {
                if let (Ok(x), Ok(w), Ok(u), Ok(b)) = (
                    x.clone().try_into_primitive::<Autodiff<Flex, $c>>(),
                    w.clone().try_into_primitive::<Autodiff<Flex, $c>>(),
                    u.clone().try_into_primitive::<Autodiff<Flex, $c>>(),
                    b.clone().try_into_primitive::<Autodiff<Flex, $c>>(),
                ) {
                    let y = forward_autodiff::<$c>(x, w, u, b, out);
                    return Some(Tensor::from_primitive::<Autodiff<Flex, $c>>(y));
                }
            };
        }
        with_strategy!(NoCheckpointing);
        with_strategy!(BalancedCheckpointing);
        return None;
    }
    let x = x.clone().try_into_primitive::<Flex>().ok()?;
    let w = w.clone().try_into_primitive::<Flex>().ok()?;
    let u = u.clone().try_into_primitive::<Flex>().ok()?;
    let b = b.clone().try_into_primitive::<Flex>().ok()?;
    let (_, y) = forward_flex(&x, &w, &u, &b, out);
    Some(Tensor::from_primitive::<Flex>(y))
}

fn forward_autodiff<C: CheckpointStrategy>(
    x: AdTensor,
    w: AdTensor,
    u: AdTensor,
    b: AdTensor,
    out: Output,
) -> AdTensor {
    let prep = LstmBackward
        .prepare::<C>([x.node(), w.node(), u.node(), b.node()])
        .compute_bound()
        .stateful();
    let (xp, wp, up, bp) = (
        contiguous(x.into_primitive()),
        contiguous(w.into_primitive()),
        contiguous(u.into_primitive()),
        contiguous(b.into_primitive()),
    );
    let (cache, y) = forward_flex(&xp, &wp, &up, &bp, out);
    match prep {
        OpsKind::Tracked(prep) => prep.finish(
            LstmState {
                cache: Arc::new(cache),
                x: xp,
                w: wp,
                u: up,
                out,
            },
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

/// Everything the backward pass needs. `Clone` is cheap (refcounts only).
#[derive(Clone, Debug)]
struct LstmState {
    cache: Arc<kernel::Cache>,
    x: FlexTensor,
    w: FlexTensor,
    u: FlexTensor,
    out: Output,
}

#[derive(Debug)]
struct LstmBackward;

impl Backward<Flex, 4> for LstmBackward {
    type State = LstmState;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_u, node_b] = ops.parents;
        let dy = contiguous(grads.consume::<Flex>(&ops.node));
        let LstmState {
            cache,
            x,
            w,
            u,
            out,
        } = ops.state;
        let cache = Arc::try_unwrap(cache).unwrap_or_else(|shared| (*shared).clone());
        let d = cache.dims;
        let dy = f32s(&dy);
        let dy = match out {
            Output::Sequence => OutputGrad::Sequence(dy),
            Output::Last => OutputGrad::Last(dy),
        };
        let g = kernel::backward(cache, f32s(&x), f32s(&w), f32s(&u), dy, node_x.is_some());
        let g4 = 4 * d.hidden;
        if let (Some(node), Some(dx)) = (node_x, g.dx) {
            grads.register::<Flex>(node.id, flex(dx, vec![d.batch, d.steps, d.input]));
        }
        if let Some(node) = node_w {
            grads.register::<Flex>(node.id, flex(g.dw, vec![d.input, g4]));
        }
        if let Some(node) = node_u {
            grads.register::<Flex>(node.id, flex(g.du, vec![d.hidden, g4]));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, flex(g.db, vec![g4]));
        }
    }
}

/// Runs the kernel on concrete tensors; returns the cache and the op output.
fn forward_flex(
    x: &FlexTensor,
    w: &FlexTensor,
    u: &FlexTensor,
    b: &FlexTensor,
    out: Output,
) -> (kernel::Cache, FlexTensor) {
    let [batch, steps, input] = x.shape().dims::<3>();
    let [hidden, g4] = u.shape().dims::<2>();
    assert_eq!(g4, 4 * hidden, "recurrent kernel must be [H, 4H]");
    assert_eq!(
        w.shape().dims::<2>(),
        [input, g4],
        "kernel must be [input, 4H]"
    );
    assert_eq!(b.shape().dims::<1>(), [g4], "bias must be [4H]");
    let d = Dims {
        batch,
        steps,
        input,
        hidden,
    };
    let (x, w, u, b) = (
        contiguous(x.clone()),
        contiguous(w.clone()),
        contiguous(u.clone()),
        contiguous(b.clone()),
    );
    let cache = kernel::forward(d, f32s(&x), f32s(&w), f32s(&u), f32s(&b));
    let y = match out {
        Output::Sequence => flex(cache.h.clone(), vec![batch, steps, hidden]),
        Output::Last => {
            let mut last = Vec::with_capacity(batch * hidden);
            for row in cache.h.chunks_exact(steps * hidden) {
                last.extend_from_slice(&row[(steps - 1) * hidden..]);
            }
            flex(last, vec![batch, hidden])
        }
    };
    (cache, y)
}

fn contiguous(t: FlexTensor) -> FlexTensor {
    assert_eq!(
        t.dtype(),
        DType::F32,
        "the fused LSTM is implemented for f32 only"
    );
    if t.as_slice::<f32>().is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 tensor")
}

fn flex(data: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}
