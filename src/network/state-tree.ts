/**
 * The part of the IC's state tree a `read_state` or a call's certificate shows (interface specification,
 * "The system state tree"): a labeled hash tree built from the paths asked for, with the labels of each
 * level in the order the specification requires (byte-wise lexicographic), so a client can look them up.
 */
import type { HashTree } from '../replica/certification';

/** A path of labels and the leaf at its end. */
export type TreeEntry = readonly [path: readonly Uint8Array[], leaf: Uint8Array];

type Node = { leaf?: Uint8Array; children: Map<string, { label: Uint8Array; node: Node }> };

const labelKey = (label: Uint8Array) => Buffer.from(label).toString('latin1');

/** The tree of these entries; a path that is a prefix of another one is refused (a node is a leaf or a fork). */
export function treeOf(entries: readonly TreeEntry[]): HashTree {
    const root: Node = { children: new Map() };
    for (const [path, leaf] of entries) {
        let node = root;
        for (const label of path) {
            if (node.leaf !== undefined) throw new Error('a state tree path runs through a leaf');
            const key = labelKey(label);
            let child = node.children.get(key);
            if (child === undefined) node.children.set(key, (child = { label, node: { children: new Map() } }));
            node = child.node;
        }
        if (node.children.size > 0) throw new Error('a state tree leaf would hide a subtree');
        node.leaf = leaf;
    }
    return toHashTree(root);
}

function toHashTree(node: Node): HashTree {
    if (node.leaf !== undefined) return [3, node.leaf];
    const children = [...node.children.values()].sort((a, b) => Buffer.compare(a.label, b.label));
    const labeled = children.map(({ label, node: child }): HashTree => [2, label, toHashTree(child)]);
    return forkOf(labeled);
}

/** A balanced fork of subtrees, in order; the empty tree for none. */
function forkOf(trees: HashTree[]): HashTree {
    if (trees.length === 0) return [0];
    if (trees.length === 1) return trees[0] as HashTree;
    const middle = Math.ceil(trees.length / 2);
    return [1, forkOf(trees.slice(0, middle)), forkOf(trees.slice(middle))];
}
