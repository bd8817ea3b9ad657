/**
 * Decoding WebAssembly instructions (enough to walk a function body and rewrite it) and the replica's cost of
 * each one.
 *
 * Costs follow `instruction_to_cost` in the IC's `rs/embedders/src/wasm_utils/instrumentation.rs` (Wasm32):
 * block markers are free, most instructions cost 1, integer division 10, calls 5, globals 2, `memory.grow`
 * 300, bulk memory 100 plus their length (charged at run time), and so on. SIMD, atomics and GC instructions
 * are refused: Azle's canisters do not use them.
 */
import { type ByteReader, WasmFormatError } from './bytes';

/** The 0xFC-prefixed instructions are numbered 0xFC00 + their sub-opcode. */
export const PREFIX_FC = 0xfc00;

export const Op = {
    unreachable: 0x00,
    block: 0x02,
    loop: 0x03,
    if: 0x04,
    else: 0x05,
    end: 0x0b,
    br: 0x0c,
    brIf: 0x0d,
    brTable: 0x0e,
    return: 0x0f,
    call: 0x10,
    callIndirect: 0x11,
    returnCall: 0x12,
    returnCallIndirect: 0x13,
    localGet: 0x20,
    localSet: 0x21,
    localTee: 0x22,
    globalGet: 0x23,
    i32Const: 0x41,
    i32Add: 0x6a,
    i32Sub: 0x6b,
    i32And: 0x71,
    refFunc: 0xd2,
    memoryInit: PREFIX_FC + 8,
    memoryCopy: PREFIX_FC + 10,
    memoryFill: PREFIX_FC + 11,
    tableCopy: PREFIX_FC + 14,
    tableFill: PREFIX_FC + 17
} as const;

export type Instruction = {
    /** The opcode, or PREFIX_FC + sub-opcode. */
    readonly op: number;
    /** Where the instruction's bytes start and end in the module. */
    readonly start: number;
    readonly end: number;
    /** For call, return_call and ref.func: the function index (rewritten when imports are added). */
    readonly funcIndex?: number;
    /** For stores: the static offset of the memory argument. */
    readonly offset?: number;
    /** For br, br_if and br_table: the relative depths of the branch targets. */
    readonly labels?: readonly number[];
    /** For local.get/set/tee and global.get/set: the local's or global's index; for call_indirect: the type index. */
    readonly index?: number;
    /** For i32.const: its value. */
    readonly value?: number;
};

/** The value type and width of each store instruction. */
export const STORES: Readonly<Record<number, { readonly type: 'i32' | 'i64' | 'f32' | 'f64'; readonly bytes: number }>> = {
    0x36: { type: 'i32', bytes: 4 },
    0x37: { type: 'i64', bytes: 8 },
    0x38: { type: 'f32', bytes: 4 },
    0x39: { type: 'f64', bytes: 8 },
    0x3a: { type: 'i32', bytes: 1 },
    0x3b: { type: 'i32', bytes: 2 },
    0x3c: { type: 'i64', bytes: 1 },
    0x3d: { type: 'i64', bytes: 2 },
    0x3e: { type: 'i64', bytes: 4 }
};

const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function skipBlockType(r: ByteReader): void {
    const b = r.peek();
    if (b === 0x40 || VALUE_TYPES.has(b)) r.byte();
    else r.sleb(33); // a type index
}

function memarg(r: ByteReader): number {
    const align = r.u32();
    if ((align & 0x40) !== 0) throw new WasmFormatError('multiple memories are not supported');
    return r.u32();
}

/** Reads one instruction at the reader's position. */
export function readInstruction(r: ByteReader): Instruction {
    const start = r.pos;
    const opcode = r.byte();
    const done = (extra: Partial<Instruction> = {}, op = opcode): Instruction => ({ op, start, end: r.pos, ...extra });
    if (opcode >= 0x28 && opcode <= 0x3e) return done({ offset: memarg(r) });
    if (opcode >= 0x45 && opcode <= 0xc4) return done();
    switch (opcode) {
        case 0x00:
        case 0x01:
        case 0x05:
        case 0x0b:
        case 0x0f:
        case 0x1a:
        case 0x1b:
        case 0xd1:
            return done();
        case 0x02:
        case 0x03:
        case 0x04:
            skipBlockType(r);
            return done();
        case 0x0c:
        case 0x0d:
            return done({ labels: [r.u32()] });
        case 0x20:
        case 0x21:
        case 0x22:
        case 0x23:
        case 0x24:
            return done({ index: r.u32() });
        case 0x25:
        case 0x26:
        case 0xd0:
            r.u32();
            return done();
        case 0x0e: {
            const n = r.u32();
            const labels: number[] = [];
            for (let i = 0; i <= n; i++) labels.push(r.u32());
            return done({ labels });
        }
        case 0x10:
        case 0x12:
        case 0xd2:
            return done({ funcIndex: r.u32() });
        case 0x11:
        case 0x13: {
            const index = r.u32();
            r.u32();
            return done({ index });
        }
        case 0x1c: {
            const n = r.u32();
            for (let i = 0; i < n; i++) r.byte();
            return done();
        }
        case 0x3f:
        case 0x40:
            r.byte();
            return done();
        case 0x41:
            return done({ value: Number(r.sleb(32)) });
        case 0x42:
            r.sleb(64);
            return done();
        case 0x43:
            r.take(4);
            return done();
        case 0x44:
            r.take(8);
            return done();
        case 0xfc: {
            const sub = r.u32();
            if (sub <= 7) return done({}, PREFIX_FC + sub);
            switch (sub) {
                case 8: // memory.init data 0x00
                    r.u32();
                    r.byte();
                    break;
                case 9: // data.drop
                case 13: // elem.drop
                case 15: // table.grow
                case 16: // table.size
                case 17: // table.fill
                    r.u32();
                    break;
                case 10: // memory.copy 0x00 0x00
                    r.byte();
                    r.byte();
                    break;
                case 11: // memory.fill 0x00
                    r.byte();
                    break;
                case 12: // table.init elem table
                case 14: // table.copy table table
                    r.u32();
                    r.u32();
                    break;
                default:
                    throw new WasmFormatError(`unknown instruction 0xfc ${sub} at byte ${start}`);
            }
            return done({}, PREFIX_FC + sub);
        }
        default:
            throw new WasmFormatError(
                `instruction 0x${opcode.toString(16)} at byte ${start} is not supported (SIMD, atomics and GC are not instrumented)`
            );
    }
}

/** The bulk memory and table instructions that take a destination, a source or value, and a length. */
const BULK = new Set<number>([
    Op.memoryInit,
    Op.memoryCopy,
    Op.memoryFill,
    PREFIX_FC + 12 /* table.init */,
    Op.tableCopy,
    Op.tableFill
]);

/** The replica's static cost of an instruction (Wasm32). */
export function instructionCost(op: number): number {
    if (BULK.has(op)) return 100; // plus their length, charged at run time
    if (op >= 0x28 && op <= 0x3e) return 1; // loads and stores
    if (op >= 0x45 && op <= 0x5a) return 1; // integer comparisons
    if (op >= 0x5b && op <= 0x66) return 3; // float comparisons
    if ((op >= 0x6d && op <= 0x70) || (op >= 0x7f && op <= 0x82)) return 10; // integer div and rem
    if (op >= 0x67 && op <= 0x8a) return 1; // the rest of integer arithmetic
    if (op >= 0x8b && op <= 0xa6) return FLOAT_ARITHMETIC[op - 0x8b] as number;
    if (op >= 0xa7 && op <= 0xc4) return CONVERSIONS[op - 0xa7] as number;
    if (op >= PREFIX_FC && op <= PREFIX_FC + 7) return 20; // saturating truncations
    switch (op) {
        case Op.block:
        case Op.loop:
        case Op.else:
        case Op.end:
            return 0;
        case 0x23: // global.get
        case 0x24: // global.set
            return 2;
        case 0x25: // table.get
        case 0x26: // table.set
        case 0xd1: // ref.is_null
            return 5;
        case 0x3f: // memory.size
            return 20;
        case 0x40: // memory.grow
        case PREFIX_FC + 9: // data.drop
        case PREFIX_FC + 13: // elem.drop
        case PREFIX_FC + 15: // table.grow
            return 300;
        case PREFIX_FC + 16: // table.size
            return 100;
        case Op.call:
            return 5;
        case Op.callIndirect:
            return 10;
        case Op.returnCall:
            return 3;
        case Op.returnCallIndirect:
            return 60;
        case Op.if:
        case Op.br:
        case Op.brIf:
        case Op.brTable:
            return 2;
        case Op.refFunc:
            return 130;
        default:
            return 1; // constants, locals, select, drop, nop, unreachable, return, ref.null
    }
}

/** f32.abs ... f64.copysign (0x8b ... 0xa6). */
const FLOAT_ARITHMETIC = [
    1,
    1,
    2,
    2,
    2,
    2,
    5,
    2,
    2,
    2,
    3,
    18,
    18,
    2, // f32: abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign
    1,
    1,
    2,
    2,
    2,
    2,
    8,
    2,
    2,
    2,
    5,
    18,
    18,
    3 // f64: the same
];

/** i32.wrap_i64 ... i64.extend32_s (0xa7 ... 0xc4). */
const CONVERSIONS = [
    1,
    20,
    20,
    20,
    20, // i32.wrap_i64, i32.trunc_f32_s/u, i32.trunc_f64_s/u
    1,
    1,
    20,
    20,
    20,
    20, // i64.extend_i32_s/u, i64.trunc_f32_s/u, i64.trunc_f64_s/u
    3,
    16,
    3,
    16,
    1, // f32.convert_i32_s/u, f32.convert_i64_s/u, f32.demote_f64
    3,
    16,
    3,
    16,
    1, // f64.convert_i32_s/u, f64.convert_i64_s/u, f64.promote_f32
    1,
    1,
    1,
    1, // reinterpretations
    1,
    1,
    1,
    1,
    1 // sign extensions
];

/** How an instruction changes the operand stack: values popped and pushed. */
export type StackEffect = { readonly pops: number; readonly pushes: number };

/** The parameter and result counts of a function type. */
export type Signature = { readonly params: number; readonly results: number };

const UNARY = { pops: 1, pushes: 1 } as const;
const BINARY = { pops: 2, pushes: 1 } as const;
const PUSH = { pops: 0, pushes: 1 } as const;
const POP = { pops: 1, pushes: 0 } as const;
const NONE = { pops: 0, pushes: 0 } as const;
const TERNARY_WRITE = { pops: 3, pushes: 0 } as const;

/**
 * The stack effect of a straight-line instruction, or `undefined` for control instructions (block, loop, if,
 * else, end, branches, return, unreachable, tail calls), after which a caller that follows the stack within a
 * basic block must start over. `call` and `call_indirect` need their signatures: by function index (imports
 * first) and by type index.
 */
export function stackEffect(
    ins: Instruction,
    funcSignature: (index: number) => Signature,
    typeSignature: (index: number) => Signature
): StackEffect | undefined {
    const op = ins.op;
    if (op >= 0x28 && op <= 0x35) return UNARY; // loads
    if (op >= 0x36 && op <= 0x3e) return { pops: 2, pushes: 0 }; // stores
    if (op >= 0x41 && op <= 0x44) return PUSH; // constants
    if (op === 0x45 || op === 0x50) return UNARY; // eqz
    if (op >= 0x46 && op <= 0x66) return BINARY; // comparisons
    if ((op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7b)) return UNARY; // clz, ctz, popcnt
    if ((op >= 0x6a && op <= 0x78) || (op >= 0x7c && op <= 0x8a)) return BINARY; // integer arithmetic
    if ((op >= 0x8b && op <= 0x91) || (op >= 0x99 && op <= 0x9f)) return UNARY; // float unary
    if ((op >= 0x92 && op <= 0x98) || (op >= 0xa0 && op <= 0xa6)) return BINARY; // float binary
    if (op >= 0xa7 && op <= 0xc4) return UNARY; // conversions and sign extensions
    if (op >= PREFIX_FC && op <= PREFIX_FC + 7) return UNARY; // saturating truncations
    if (BULK.has(op)) return TERNARY_WRITE;
    switch (op) {
        case 0x01: // nop
        case PREFIX_FC + 9: // data.drop
        case PREFIX_FC + 13: // elem.drop
            return NONE;
        case Op.call: {
            const { params, results } = funcSignature(ins.funcIndex as number);
            return { pops: params, pushes: results };
        }
        case Op.callIndirect: {
            const { params, results } = typeSignature(ins.index as number);
            return { pops: params + 1, pushes: results };
        }
        case 0x1a: // drop
        case 0x21: // local.set
        case 0x24: // global.set
            return POP;
        case 0x1b: // select
        case 0x1c: // select t
            return { pops: 3, pushes: 1 };
        case 0x20: // local.get
        case 0x23: // global.get
        case 0x3f: // memory.size
        case 0xd0: // ref.null
        case Op.refFunc:
        case PREFIX_FC + 16: // table.size
            return PUSH;
        case 0x22: // local.tee
        case 0x25: // table.get
        case 0x40: // memory.grow
        case 0xd1: // ref.is_null
            return UNARY;
        case 0x26: // table.set
            return { pops: 2, pushes: 0 };
        case PREFIX_FC + 15: // table.grow
            return BINARY;
        default:
            return undefined; // control
    }
}
