/**
 * Hash trees as the IC interface specification defines them ("Certification", "Hash trees" and "Encoding of
 * certificates"): what the local IC signs, what the token's ICRC-3 tip and the registry's HTTP responses
 * certify, and what a client looks a certified value up in. One module for all of them, in plain code over the
 * suite's SHA-256, so it runs in a canister as in Node.
 *
 * A node's hash is the SHA-256 of a domain separator (its length byte, then its text) and the node's contents.
 */
import { compareBytes } from './bytes';
import { sha256 } from './crypto';

/** A hash tree: empty, fork, labeled, leaf, or pruned (its hash). */
export type HashTree = [0] | [1, HashTree, HashTree] | [2, Uint8Array, HashTree] | [3, Uint8Array] | [4, Uint8Array];

/**
 * Node hashes by the bytes hashed, kept by a caller that hashes trees sharing most of their nodes again (the
 * HTTP certification of a canister that re-certifies one response among unchanged ones). The caller bounds it.
 */
export type KnownHashes = Map<string, Uint8Array>;

function domainSeparated(known: KnownHashes | undefined, separator: string, ...parts: Uint8Array[]): Uint8Array {
    const length = 1 + separator.length + parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(length);
    bytes[0] = separator.length;
    for (let i = 0; i < separator.length; i++) bytes[1 + i] = separator.charCodeAt(i);
    let at = 1 + separator.length;
    for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
    }
    if (known === undefined) return sha256(bytes);
    const key = String.fromCharCode.apply(null, bytes as unknown as number[]);
    let hash = known.get(key);
    if (hash === undefined) known.set(key, (hash = sha256(bytes)));
    return hash;
}

/** The root hash of a tree (`reconstruct` in the specification); `known` remembers node hashes across calls. */
export function rootHash(tree: HashTree, known?: KnownHashes): Uint8Array {
    switch (tree[0]) {
        case 0:
            return domainSeparated(known, 'ic-hashtree-empty');
        case 1:
            return domainSeparated(known, 'ic-hashtree-fork', rootHash(tree[1], known), rootHash(tree[2], known));
        case 2:
            return domainSeparated(known, 'ic-hashtree-labeled', tree[1], rootHash(tree[2], known));
        case 3:
            return domainSeparated(known, 'ic-hashtree-leaf', tree[1]);
        case 4:
            return tree[1];
    }
}

/** A path of labels and the leaf at its end. */
export type TreeEntry = readonly [path: readonly Uint8Array[], leaf: Uint8Array];

type Node = { leaf?: Uint8Array; children: Map<string, { label: Uint8Array; node: Node }> };

const labelKey = (label: Uint8Array) => String.fromCharCode(...label);

/**
 * The tree of these entries, each level's labels in the byte-wise order the specification requires so that a
 * client can look them up and prove a label absent. A path that is a prefix of another one is refused: a node
 * is a leaf or a fork, not both.
 */
export function treeOf(entries: readonly TreeEntry[]): HashTree {
    const root: Node = { children: new Map() };
    for (const [path, leaf] of entries) {
        let node = root;
        for (const label of path) {
            if (node.leaf !== undefined) throw new Error('a hash tree path runs through a leaf');
            const key = labelKey(label);
            let child = node.children.get(key);
            if (child === undefined) node.children.set(key, (child = { label, node: { children: new Map() } }));
            node = child.node;
        }
        if (node.children.size > 0) throw new Error('a hash tree leaf would hide a subtree');
        node.leaf = leaf;
    }
    return toHashTree(root);
}

function toHashTree(node: Node): HashTree {
    if (node.leaf !== undefined) return [3, node.leaf];
    const children = [...node.children.values()].sort((a, b) => compareBytes(a.label, b.label));
    return forkOf(children.map(({ label, node: child }): HashTree => [2, label, toHashTree(child)]));
}

/** A balanced fork of subtrees, in order; the empty tree for none. */
function forkOf(trees: HashTree[]): HashTree {
    if (trees.length === 0) return [0];
    if (trees.length === 1) return trees[0] as HashTree;
    const middle = Math.ceil(trees.length / 2);
    return [1, forkOf(trees.slice(0, middle)), forkOf(trees.slice(middle))];
}

// CBOR (RFC 8949), only what hash trees and label paths need: arrays, small unsigned integers, byte and text strings.

function cborHead(major: number, n: number): number[] {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** The self-describing tag (55799) the IC writes before its CBOR. */
const SELF_DESCRIBED = [0xd9, 0xd9, 0xf7];

const cborBytes = (b: Uint8Array): number[] => [...cborHead(2, b.length), ...b];
const cborArray = (items: number[][]): number[] => [...cborHead(4, items.length), ...items.flat()];

function cborTree(tree: HashTree): number[] {
    switch (tree[0]) {
        case 0:
            return cborArray([cborHead(0, 0)]);
        case 1:
            return cborArray([cborHead(0, 1), cborTree(tree[1]), cborTree(tree[2])]);
        case 2:
            return cborArray([cborHead(0, 2), cborBytes(tree[1]), cborTree(tree[2])]);
        case 3:
        case 4:
            return cborArray([cborHead(0, tree[0]), cborBytes(tree[1])]);
    }
}

/** A tree CBOR-encoded as the IC encodes the trees of its certificates, self-describing tag first. */
export function encodeTree(tree: HashTree): Uint8Array {
    return Uint8Array.from([...SELF_DESCRIBED, ...cborTree(tree)]);
}

/** An array of text strings CBOR-encoded, self-describing tag first: an HTTP certificate's expression path. */
export function encodeTextArray(texts: readonly string[]): Uint8Array {
    const utf8 = new TextEncoder();
    const items = texts.map((text) => {
        const bytes = utf8.encode(text);
        return [...cborHead(3, bytes.length), ...bytes];
    });
    return Uint8Array.from([...SELF_DESCRIBED, ...cborArray(items)]);
}
