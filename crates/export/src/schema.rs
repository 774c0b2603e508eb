//! The part of TFLite's flatbuffer schema (version 3, file identifier `TFL3`) that int8 graphs
//! need, and a writer for it: a [`Graph`] of [`Tensor`]s and builtin [`Operator`]s serialised
//! with the `flatbuffers` runtime, table by table.
//!
//! Field slots and enum values are those of TFLite's `schema.fbs` (as generated into
//! `schema_py_generated.py` of the `ai-edge-litert` wheel). A field's vtable offset is
//! `4 + 2 · slot`. Constant data (weights, biases, shapes) lives in `Model.buffers`, buffer 0 is
//! the empty one every activation tensor points at, and every data buffer starts 16-byte aligned
//! (as the TFLite converter writes them) when the model bytes are.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

/// The schema version written in `Model.version`.
pub const SCHEMA_VERSION: u32 = 3;
/// The file identifier at bytes 4..8.
pub const FILE_IDENTIFIER: &str = "TFL3";

/// A builtin operator (the ones TFLite Micro also registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `CONCATENATION` (2).
    Concatenation,
    /// `CONV_2D` (3).
    Conv2d,
    /// `FULLY_CONNECTED` (9).
    FullyConnected,
    /// `MAX_POOL_2D` (17).
    MaxPool2d,
    /// `RESHAPE` (22).
    Reshape,
    /// `SOFTMAX` (25).
    Softmax,
    /// `REDUCE_MAX` (82).
    ReduceMax,
    /// `BATCH_MATMUL` (126).
    BatchMatMul,
}

impl Builtin {
    /// Every operator this writer knows.
    pub const ALL: [Builtin; 8] = [
        Builtin::Concatenation,
        Builtin::Conv2d,
        Builtin::FullyConnected,
        Builtin::MaxPool2d,
        Builtin::Reshape,
        Builtin::Softmax,
        Builtin::ReduceMax,
        Builtin::BatchMatMul,
    ];

    /// The `BuiltinOperator` enum value.
    pub fn code(self) -> i32 {
        match self {
            Builtin::Concatenation => 2,
            Builtin::Conv2d => 3,
            Builtin::FullyConnected => 9,
            Builtin::MaxPool2d => 17,
            Builtin::Reshape => 22,
            Builtin::Softmax => 25,
            Builtin::ReduceMax => 82,
            Builtin::BatchMatMul => 126,
        }
    }

    /// The operator with `BuiltinOperator` value `code`.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The schema's name (`CONV_2D`).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Concatenation => "CONCATENATION",
            Builtin::Conv2d => "CONV_2D",
            Builtin::FullyConnected => "FULLY_CONNECTED",
            Builtin::MaxPool2d => "MAX_POOL_2D",
            Builtin::Reshape => "RESHAPE",
            Builtin::Softmax => "SOFTMAX",
            Builtin::ReduceMax => "REDUCE_MAX",
            Builtin::BatchMatMul => "BATCH_MATMUL",
        }
    }

    /// The operator version the TFLite converter writes for int8 tensors (its `op_version`
    /// rules); interpreters accept any version up to the one they implement.
    pub fn int8_version(self) -> i32 {
        match self {
            Builtin::Conv2d => 3,
            Builtin::FullyConnected => 4,
            Builtin::Reshape => 1,
            _ => 2,
        }
    }
}

/// A tensor element type (`TensorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// `INT32` (2).
    Int32,
    /// `INT8` (9).
    Int8,
}

impl DType {
    /// The `TensorType` enum value.
    pub fn code(self) -> i8 {
        match self {
            DType::Int32 => 2,
            DType::Int8 => 9,
        }
    }
}

/// A fused activation (`ActivationFunctionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `NONE` (0).
    None,
    /// `RELU` (1).
    Relu,
}

impl Activation {
    fn code(self) -> i8 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
        }
    }
}

/// Convolution and pooling padding (`Padding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `SAME` (0).
    Same,
    /// `VALID` (1).
    Valid,
}

impl Padding {
    fn code(self) -> i8 {
        match self {
            Padding::Same => 0,
            Padding::Valid => 1,
        }
    }
}

/// An operator's `builtin_options` table.
#[derive(Debug, Clone, PartialEq)]
pub enum Options {
    /// `Conv2DOptions` (union type 1).
    Conv2d {
        /// Padding.
        padding: Padding,
        /// Stride along the width (our time axis).
        stride_w: i32,
        /// Stride along the height.
        stride_h: i32,
        /// Fused activation.
        activation: Activation,
    },
    /// `Pool2DOptions` (5).
    Pool2d {
        /// Padding.
        padding: Padding,
        /// Stride along the width.
        stride_w: i32,
        /// Stride along the height.
        stride_h: i32,
        /// Window width.
        filter_w: i32,
        /// Window height.
        filter_h: i32,
    },
    /// `FullyConnectedOptions` (8).
    FullyConnected {
        /// Fused activation.
        activation: Activation,
    },
    /// `SoftmaxOptions` (9).
    Softmax {
        /// Inverse temperature.
        beta: f32,
    },
    /// `ConcatenationOptions` (10).
    Concatenation {
        /// The axis joined along.
        axis: i32,
    },
    /// `ReshapeOptions` (17).
    Reshape {
        /// The output shape (also given as the second input).
        new_shape: Vec<i32>,
    },
    /// `ReducerOptions` (27).
    Reducer {
        /// Keep the reduced axes as size 1.
        keep_dims: bool,
    },
    /// `BatchMatMulOptions` (101).
    BatchMatMul {
        /// Transpose the left operand.
        adj_x: bool,
        /// Transpose the right operand.
        adj_y: bool,
    },
}

impl Options {
    /// The `BuiltinOptions` union type.
    fn union_type(&self) -> u8 {
        match self {
            Options::Conv2d { .. } => 1,
            Options::Pool2d { .. } => 5,
            Options::FullyConnected { .. } => 8,
            Options::Softmax { .. } => 9,
            Options::Concatenation { .. } => 10,
            Options::Reshape { .. } => 17,
            Options::Reducer { .. } => 27,
            Options::BatchMatMul { .. } => 101,
        }
    }
}

/// Affine quantisation: `real = scale · (q − zero_point)`, per tensor (one value) or per
/// channel along `dimension`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quant {
    /// Scales.
    pub scale: Vec<f32>,
    /// Zero points (same length as `scale`).
    pub zero_point: Vec<i64>,
    /// The channel dimension when there are several scales.
    pub dimension: i32,
}

impl Quant {
    /// One scale and zero point.
    pub fn tensor(scale: f32, zero_point: i32) -> Self {
        Quant {
            scale: vec![scale],
            zero_point: vec![zero_point as i64],
            dimension: 0,
        }
    }

    /// Symmetric scales (zero points 0) along `dimension`.
    pub fn channels(scale: Vec<f32>, dimension: i32) -> Self {
        Quant {
            zero_point: vec![0; scale.len()],
            scale,
            dimension,
        }
    }
}

/// A tensor: shape, type, optional constant data (little-endian) and quantisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Name (for people and tools such as Netron).
    pub name: String,
    /// Shape.
    pub shape: Vec<i32>,
    /// Element type.
    pub dtype: DType,
    /// Constant contents, or `None` for an activation.
    pub data: Option<Vec<u8>>,
    /// Quantisation parameters.
    pub quant: Option<Quant>,
}

/// An operator: a builtin with its input and output tensor indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// The builtin.
    pub op: Builtin,
    /// Input tensor indices.
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
    /// Its options.
    pub options: Options,
}

/// One subgraph with its tensors and operators, in execution order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// Tensors.
    pub tensors: Vec<Tensor>,
    /// Operators in execution order.
    pub operators: Vec<Operator>,
    /// Graph input tensor indices.
    pub inputs: Vec<i32>,
    /// Graph output tensor indices.
    pub outputs: Vec<i32>,
    /// `Model.description`.
    pub description: String,
}

/// `(slot)` → vtable offset.
const fn slot(i: u16) -> u16 {
    4 + 2 * i
}

type Off<T> = WIPOffset<T>;
type Tab = flatbuffers::TableFinishedWIPOffset;

impl Graph {
    /// Adds a tensor and returns its index.
    pub fn tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        dtype: DType,
        data: Option<Vec<u8>>,
        quant: Option<Quant>,
    ) -> i32 {
        self.tensors.push(Tensor {
            name: name.to_string(),
            shape: shape.iter().map(|&d| d as i32).collect(),
            dtype,
            data,
            quant,
        });
        self.tensors.len() as i32 - 1
    }

    /// Adds an operator.
    pub fn op(&mut self, op: Builtin, inputs: &[i32], outputs: &[i32], options: Options) {
        self.operators.push(Operator {
            op,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            options,
        });
    }

    /// The flatbuffer bytes (`TFL3`, schema version 3).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = FlatBufferBuilder::with_capacity(1 << 16);
        // Buffers: 0 is empty; then one per constant tensor, data 16-byte aligned from the end
        // (the total length is padded to a multiple of 16 below, so also from the start).
        let mut buffer_of = vec![0u32; self.tensors.len()];
        let mut datas: Vec<Off<flatbuffers::Vector<u8>>> = Vec::new();
        for (i, t) in self.tensors.iter().enumerate() {
            if let Some(d) = &t.data {
                pad_to(&mut b, d.len(), 16);
                datas.push(b.create_vector(d));
                buffer_of[i] = datas.len() as u32;
            }
        }
        let mut buffers = vec![table(&mut b, |_| {})];
        for d in datas {
            buffers.push(table(&mut b, |b| b.push_slot_always(slot(0), d)));
        }
        let buffers = b.create_vector(&buffers);

        // Operator codes, in order of first use.
        let mut codes: Vec<Builtin> = Vec::new();
        for o in &self.operators {
            if !codes.contains(&o.op) {
                codes.push(o.op);
            }
        }
        let code_tables: Vec<Off<Tab>> = codes
            .iter()
            .map(|c| {
                table(&mut b, |b| {
                    // deprecated_builtin_code (int8) holds codes below 127 for old readers.
                    b.push_slot::<i8>(slot(0), c.code().min(127) as i8, 0);
                    b.push_slot::<i32>(slot(2), c.int8_version(), 1);
                    b.push_slot::<i32>(slot(3), c.code(), 0);
                })
            })
            .collect();
        let codes_vec = b.create_vector(&code_tables);

        let mut tensors = Vec::new();
        for (i, t) in self.tensors.iter().enumerate() {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(&t.name);
            let quant = t.quant.as_ref().map(|q| {
                let scale = b.create_vector(&q.scale);
                let zp = b.create_vector(&q.zero_point);
                table(&mut b, |b| {
                    b.push_slot_always(slot(2), scale);
                    b.push_slot_always(slot(3), zp);
                    b.push_slot::<i32>(slot(6), q.dimension, 0);
                })
            });
            let buffer = buffer_of[i];
            tensors.push(table(&mut b, |b| {
                b.push_slot_always(slot(0), shape);
                b.push_slot::<i8>(slot(1), t.dtype.code(), 0);
                b.push_slot::<u32>(slot(2), buffer, 0);
                b.push_slot_always(slot(3), name);
                if let Some(q) = quant {
                    b.push_slot_always(slot(4), q);
                }
            }));
        }
        let tensors = b.create_vector(&tensors);

        let mut ops = Vec::new();
        for o in &self.operators {
            let inputs = b.create_vector(&o.inputs);
            let outputs = b.create_vector(&o.outputs);
            let options = options_table(&mut b, &o.options);
            let index = codes.iter().position(|c| *c == o.op).unwrap_or(0) as u32;
            let kind = o.options.union_type();
            ops.push(table(&mut b, |b| {
                b.push_slot::<u32>(slot(0), index, 0);
                b.push_slot_always(slot(1), inputs);
                b.push_slot_always(slot(2), outputs);
                b.push_slot::<u8>(slot(3), kind, 0);
                b.push_slot_always(slot(4), options);
            }));
        }
        let ops = b.create_vector(&ops);
        let inputs = b.create_vector(&self.inputs);
        let outputs = b.create_vector(&self.outputs);
        let name = b.create_string("main");
        let subgraph = table(&mut b, |b| {
            b.push_slot_always(slot(0), tensors);
            b.push_slot_always(slot(1), inputs);
            b.push_slot_always(slot(2), outputs);
            b.push_slot_always(slot(3), ops);
            b.push_slot_always(slot(4), name);
        });
        let subgraphs = b.create_vector(&[subgraph]);
        let description = b.create_string(&self.description);
        let model = table(&mut b, |b| {
            b.push_slot::<u32>(slot(0), SCHEMA_VERSION, 0);
            b.push_slot_always(slot(1), codes_vec);
            b.push_slot_always(slot(2), subgraphs);
            b.push_slot_always(slot(3), description);
            b.push_slot_always(slot(4), buffers);
        });
        // `finish` adds the root offset and the identifier (8 bytes): make the total a
        // multiple of 16 so that offsets aligned from the end are aligned from the start.
        pad_to(&mut b, 8, 16);
        b.finish(model, Some(FILE_IDENTIFIER));
        b.finished_data().to_vec()
    }
}

/// Pushes zero bytes so that `len` more bytes end the written part at a multiple of `align`
/// (counted from the end of the buffer, where flatbuffers starts writing).
fn pad_to(b: &mut FlatBufferBuilder, len: usize, align: usize) {
    let used = b.unfinished_data().len();
    for _ in 0..(align - (used + len) % align) % align {
        b.push(0u8);
    }
}

fn table(b: &mut FlatBufferBuilder, fields: impl FnOnce(&mut FlatBufferBuilder)) -> Off<Tab> {
    let start = b.start_table();
    fields(b);
    b.end_table(start)
}

fn options_table(b: &mut FlatBufferBuilder, o: &Options) -> Off<Tab> {
    match o {
        Options::Conv2d {
            padding,
            stride_w,
            stride_h,
            activation,
        } => table(b, |b| {
            b.push_slot::<i8>(slot(0), padding.code(), 0);
            b.push_slot::<i32>(slot(1), *stride_w, 0);
            b.push_slot::<i32>(slot(2), *stride_h, 0);
            b.push_slot::<i8>(slot(3), activation.code(), 0);
        }),
        Options::Pool2d {
            padding,
            stride_w,
            stride_h,
            filter_w,
            filter_h,
        } => table(b, |b| {
            b.push_slot::<i8>(slot(0), padding.code(), 0);
            b.push_slot::<i32>(slot(1), *stride_w, 0);
            b.push_slot::<i32>(slot(2), *stride_h, 0);
            b.push_slot::<i32>(slot(3), *filter_w, 0);
            b.push_slot::<i32>(slot(4), *filter_h, 0);
        }),
        Options::FullyConnected { activation } => table(b, |b| {
            b.push_slot::<i8>(slot(0), activation.code(), 0);
        }),
        Options::Softmax { beta } => table(b, |b| b.push_slot::<f32>(slot(0), *beta, 0.0)),
        Options::Concatenation { axis } => table(b, |b| b.push_slot::<i32>(slot(0), *axis, 0)),
        Options::Reshape { new_shape } => {
            let v = b.create_vector(new_shape);
            table(b, |b| b.push_slot_always(slot(0), v))
        }
        Options::Reducer { keep_dims } => {
            table(b, |b| b.push_slot::<bool>(slot(0), *keep_dims, false))
        }
        Options::BatchMatMul { adj_x, adj_y } => table(b, |b| {
            b.push_slot::<bool>(slot(0), *adj_x, false);
            b.push_slot::<bool>(slot(1), *adj_y, false);
        }),
    }
}

/// A bounds-checked reader of the tables [`Graph::to_bytes`] writes (enough to inspect a
/// model: operators, tensors, buffers).
pub(crate) mod read {
    use crate::{Error, Result};

    /// A table at byte `pos` of `buf`.
    #[derive(Clone, Copy)]
    pub(crate) struct Table<'a> {
        pub(crate) buf: &'a [u8],
        pub(crate) pos: usize,
    }

    fn bytes<const N: usize>(buf: &[u8], at: usize) -> Result<[u8; N]> {
        buf.get(
            at..at
                .checked_add(N)
                .ok_or(Error::Invalid("offset overflows"))?,
        )
        .and_then(|s| s.try_into().ok())
        .ok_or(Error::Invalid("an offset points past the end"))
    }

    pub(crate) fn u32_at(buf: &[u8], at: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(bytes(buf, at)?))
    }

    /// The root table (checks the `TFL3` identifier).
    pub(crate) fn root(buf: &[u8]) -> Result<Table<'_>> {
        if buf.get(4..8) != Some(super::FILE_IDENTIFIER.as_bytes()) {
            return Err(Error::Invalid("no TFL3 file identifier"));
        }
        Ok(Table {
            buf,
            pos: u32_at(buf, 0)? as usize,
        })
    }

    impl<'a> Table<'a> {
        fn field(&self, slot: u16) -> Result<Option<usize>> {
            let soff = i32::from_le_bytes(bytes(self.buf, self.pos)?);
            let vt = (self.pos as i64 - soff as i64) as usize;
            let vt_len = u16::from_le_bytes(bytes(self.buf, vt)?);
            let at = 4 + 2 * slot;
            if at + 2 > vt_len {
                return Ok(None);
            }
            let off = u16::from_le_bytes(bytes(self.buf, vt + at as usize)?);
            Ok((off != 0).then_some(self.pos + off as usize))
        }

        pub(crate) fn u32(&self, slot: u16, default: u32) -> Result<u32> {
            Ok(match self.field(slot)? {
                Some(p) => u32_at(self.buf, p)?,
                None => default,
            })
        }

        pub(crate) fn i32(&self, slot: u16, default: i32) -> Result<i32> {
            Ok(self.u32(slot, default as u32)? as i32)
        }

        pub(crate) fn i8(&self, slot: u16, default: i8) -> Result<i8> {
            Ok(match self.field(slot)? {
                Some(p) => bytes::<1>(self.buf, p)?[0] as i8,
                None => default,
            })
        }

        #[cfg(test)]
        pub(crate) fn table(&self, slot: u16) -> Result<Option<Table<'a>>> {
            self.field(slot)?
                .map(|p| {
                    Ok(Table {
                        buf: self.buf,
                        pos: p + u32_at(self.buf, p)? as usize,
                    })
                })
                .transpose()
        }

        /// `(start of the elements, count)` of a vector field.
        pub(crate) fn vector(&self, slot: u16) -> Result<Option<(usize, usize)>> {
            self.field(slot)?
                .map(|p| {
                    let v = p + u32_at(self.buf, p)? as usize;
                    Ok((v + 4, u32_at(self.buf, v)? as usize))
                })
                .transpose()
        }

        /// The tables of a vector-of-tables field.
        pub(crate) fn tables(&self, slot: u16) -> Result<Vec<Table<'a>>> {
            let Some((start, n)) = self.vector(slot)? else {
                return Ok(Vec::new());
            };
            (0..n)
                .map(|i| {
                    let p = start + 4 * i;
                    Ok(Table {
                        buf: self.buf,
                        pos: p + u32_at(self.buf, p)? as usize,
                    })
                })
                .collect()
        }

        /// An `[int]` field.
        #[cfg(test)]
        pub(crate) fn i32s(&self, slot: u16) -> Result<Vec<i32>> {
            let Some((start, n)) = self.vector(slot)? else {
                return Ok(Vec::new());
            };
            (0..n)
                .map(|i| Ok(u32_at(self.buf, start + 4 * i)? as i32))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read::root;
    use super::*;

    fn two_op_graph() -> Graph {
        let mut g = Graph {
            description: "test".into(),
            ..Graph::default()
        };
        let x = g.tensor(
            "x",
            &[1, 3],
            DType::Int8,
            None,
            Some(Quant::tensor(0.5, -1)),
        );
        let w = g.tensor(
            "w",
            &[2, 3],
            DType::Int8,
            Some(vec![1, 2, 3, 4, 5, 6]),
            Some(Quant::tensor(0.25, 0)),
        );
        let b = g.tensor(
            "b",
            &[2],
            DType::Int32,
            Some([7i32, -7].iter().flat_map(|v| v.to_le_bytes()).collect()),
            Some(Quant::tensor(0.125, 0)),
        );
        let y = g.tensor("y", &[1, 2], DType::Int8, None, Some(Quant::tensor(1.0, 3)));
        let z = g.tensor(
            "z",
            &[1, 2],
            DType::Int8,
            None,
            Some(Quant::tensor(1.0 / 256.0, -128)),
        );
        g.op(
            Builtin::FullyConnected,
            &[x, w, b],
            &[y],
            Options::FullyConnected {
                activation: Activation::Relu,
            },
        );
        g.op(Builtin::Softmax, &[y], &[z], Options::Softmax { beta: 1.0 });
        g.inputs = vec![x];
        g.outputs = vec![z];
        g
    }

    #[test]
    fn builtin_codes_are_the_schema_values() {
        let codes: Vec<i32> = Builtin::ALL.iter().map(|b| b.code()).collect();
        assert_eq!(codes, [2, 3, 9, 17, 22, 25, 82, 126]);
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_code(b.code()), Some(b));
        }
        assert_eq!(Builtin::from_code(74), None); // SUM is not written
        assert_eq!((DType::Int8.code(), DType::Int32.code()), (9, 2));
    }

    #[test]
    fn written_tables_read_back_with_their_slots() {
        let bytes = two_op_graph().to_bytes();
        assert_eq!(&bytes[4..8], b"TFL3");
        assert_eq!(bytes.len() % 16, 0);
        let m = root(&bytes).unwrap();
        assert_eq!(m.u32(0, 0).unwrap(), 3);
        let codes = m.tables(1).unwrap();
        let codes: Vec<(i8, i32, i32)> = codes
            .iter()
            .map(|c| {
                (
                    c.i8(0, 0).unwrap(),
                    c.i32(3, 0).unwrap(),
                    c.i32(2, 1).unwrap(),
                )
            })
            .collect();
        assert_eq!(codes, [(9, 9, 4), (25, 25, 2)]);
        let sg = &m.tables(2).unwrap()[0];
        assert_eq!(sg.i32s(1).unwrap(), [0]);
        assert_eq!(sg.i32s(2).unwrap(), [4]);
        let tensors = sg.tables(0).unwrap();
        assert_eq!(tensors.len(), 5);
        assert_eq!(tensors[1].i32s(0).unwrap(), [2, 3]);
        assert_eq!(tensors[2].i8(1, 0).unwrap(), 2); // INT32
        let q = tensors[0].table(4).unwrap().unwrap();
        let (zp_at, n) = q.vector(3).unwrap().unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            i64::from_le_bytes(bytes[zp_at..zp_at + 8].try_into().unwrap()),
            -1
        );
        let ops = sg.tables(3).unwrap();
        assert_eq!(ops[0].i32s(1).unwrap(), [0, 1, 2]);
        assert_eq!(ops[1].u32(0, 0).unwrap(), 1);
        assert_eq!(ops[0].i8(3, 0).unwrap(), 8); // FullyConnectedOptions
        let fc = ops[0].table(4).unwrap().unwrap();
        assert_eq!(fc.i8(0, 0).unwrap(), 1); // RELU
                                             // Buffers: the empty one, then the weights and the bias, 16-byte aligned.
        let buffers = m.tables(4).unwrap();
        assert_eq!(buffers.len(), 3);
        assert!(buffers[0].vector(0).unwrap().is_none());
        assert_eq!(tensors[1].u32(2, 0).unwrap(), 1);
        assert_eq!(tensors[3].u32(2, 0).unwrap(), 0);
        let (w_at, w_len) = buffers[1].vector(0).unwrap().unwrap();
        assert_eq!(&bytes[w_at..w_at + w_len], &[1, 2, 3, 4, 5, 6]);
        let (b_at, _) = buffers[2].vector(0).unwrap().unwrap();
        assert_eq!((w_at % 16, b_at % 16), (0, 0));
        assert_eq!(
            i32::from_le_bytes(bytes[b_at + 4..b_at + 8].try_into().unwrap()),
            -7
        );
    }
}
