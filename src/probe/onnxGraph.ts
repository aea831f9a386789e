import onnxProto from 'onnx-proto';
import type { onnx as onnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS; its namespace is reached through the default export under both ESM and CJS.
const { onnx } = onnxProto;

/**
 * A small builder over onnx-proto (protobufjs static code for the ONNX schema; the library the
 * ORT reference measurements used). It only knows the handful of things the CLIP graph needs:
 * nodes with int/float/ints attributes, initializers that live in external files at byte
 * offsets, small inline constants, and typed graph inputs/outputs.
 */
export const ONNX_FLOAT = onnx.TensorProto.DataType.FLOAT;
export const ONNX_INT64 = onnx.TensorProto.DataType.INT64;
export const ONNX_FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
export const ONNX_BFLOAT16 = onnx.TensorProto.DataType.BFLOAT16;
export const ONNX_DOUBLE = onnx.TensorProto.DataType.DOUBLE;

/** Plain opset 17 ops only, so every execution provider (CPU, CUDA, DML, WebGPU, CoreML) can place them. */
export const OPSET = 17;
/** IR version 8 is what opset 17 pairs with. */
const IR_VERSION = 8;

export type AttrValue = number | readonly number[] | { readonly float: number };

export interface ExternalLocation {
  /** File name relative to the model's directory (ORT rejects absolute paths, `..` and symlinks). */
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export class GraphBuilder {
  private readonly nodes: onnxTypes.INodeProto[] = [];
  private readonly initializers: onnxTypes.ITensorProto[] = [];
  private readonly inputs: onnxTypes.IValueInfoProto[] = [];
  private readonly outputs: onnxTypes.IValueInfoProto[] = [];
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}__${this.counter++}`;
  }

  /**
   * Adds a node. Returns its single output name, or the names of `outputCount` outputs.
   * Integer attributes are written as INT, `{float}` as FLOAT, arrays as INTS.
   */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, prefix = type): string {
    return this.opN(type, inputs, 1, attrs, prefix)[0]!;
  }

  opN(type: string, inputs: readonly string[], outputCount: number, attrs: Record<string, AttrValue> = {}, prefix = type): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(prefix));
    const attribute: onnxTypes.IAttributeProto[] = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
      if (Array.isArray(v)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...(v as number[])] };
      return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: (v as { float: number }).float };
    });
    this.nodes.push({ opType: type, input: [...inputs], output: outputs, attribute, name: outputs[0] });
    return outputs;
  }

  /** An initializer whose bytes stay in a file beside the model (ONNX external data). */
  externalInitializer(name: string, dataType: number, dims: readonly number[], where: ExternalLocation): string {
    this.initializers.push({
      name,
      dataType,
      dims: [...dims],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: where.location },
        { key: 'offset', value: String(where.offset) },
        { key: 'length', value: String(where.length) },
      ],
    });
    return name;
  }

  /** A small initializer stored inline (masks, shapes, scalars). */
  rawInitializer(name: string, dataType: number, dims: readonly number[], bytes: Uint8Array): string {
    this.initializers.push({ name, dataType, dims: [...dims], rawData: bytes });
    return name;
  }

  floatConst(values: readonly number[] | Float32Array, dims: readonly number[], prefix = 'const'): string {
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.rawInitializer(this.fresh(prefix), ONNX_FLOAT, dims, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  }

  int64Const(values: readonly number[], dims: readonly number[] = [values.length], prefix = 'shape'): string {
    const b = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.rawInitializer(this.fresh(prefix), ONNX_INT64, dims, new Uint8Array(b.buffer));
  }

  /** A graph input; `null` in dims marks a dynamic dimension named `symbol`. */
  input(name: string, dataType: number, dims: readonly (number | string)[]): string {
    this.inputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  output(name: string, dataType: number, dims: readonly (number | string)[]): void {
    this.outputs.push(valueInfo(name, dataType, dims));
  }

  /** Renames the value `from` to the graph output `to` through an Identity node. */
  outputAs(from: string, to: string, dataType: number, dims: readonly (number | string)[]): void {
    this.nodes.push({ opType: 'Identity', input: [from], output: [to], name: to });
    this.output(to, dataType, dims);
  }

  serialize(graphName: string, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'checkpoint-lens',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}

function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): onnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
