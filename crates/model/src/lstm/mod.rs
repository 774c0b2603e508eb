//! The LSTM layer of `lstm-seed` (Keras' `LSTM`, weights port 1:1), in three parts:
//!
//! * [`kernel`]: framework-free forward and backward (BPTT) on `f32` slices, the fast path;
//! * [`op`]: that kernel as a burn operation with a hand-written backward pass, which the
//!   model calls ([`op::lstm_sequence`], [`op::lstm_last`]);
//! * [`reference`](mod@reference): the same maths from plain burn tensor ops (autodiff derives its backward),
//!   the gradient-check oracle and the fallback on backends other than Flex.

pub mod kernel;
pub mod op;
pub mod reference;
