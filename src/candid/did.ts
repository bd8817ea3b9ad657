/**
 * Schema → `.did` text. Named schemas (`c.named`) become `type Name = ...;` declarations; a recursive type
 * without a name gets `rec_0`, `rec_1`, ... (a recursive type needs a name in Candid's grammar).
 */
import { type AnySchema, type CandidNode, candidMetaOf, type FuncNode, PRIMITIVE_KINDS } from './node';

/** Candid's reserved words: a field or tag with one of these names is written quoted. */
const KEYWORDS = new Set<string>([
    ...['type', 'import', 'opt', 'vec', 'record', 'variant', 'func', 'service', 'oneway', 'query', 'composite_query', 'blob'],
    ...PRIMITIVE_KINDS
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function didLabel(name: string): string {
    return IDENTIFIER.test(name) && !KEYWORDS.has(name) ? name : JSON.stringify(name);
}

/** Collects the declarations a `.did` file needs while printing types that use them. */
export class DidWriter {
    private readonly declarations = new Map<string, string>();
    /** The node each declared name stands for, to refuse two different types under one name. */
    private readonly owners = new Map<string, CandidNode>();
    private readonly recNames = new Map<CandidNode, string>();

    type(schema: AnySchema): string {
        const meta = candidMetaOf(schema);
        if (meta.name === undefined) return this.node(meta.node);
        return this.declare(meta.name, meta.node, () => this.node(meta.node));
    }

    func(node: FuncNode): string {
        const args = node.args.map((a) => this.type(a)).join(', ');
        const rets = node.rets.map((r) => this.type(r)).join(', ');
        const modes = node.modes.length > 0 ? ` ${node.modes.join(' ')}` : '';
        return `(${args}) -> (${rets})${modes}`;
    }

    /** The `type ... = ...;` lines, in the order the types were first met. */
    declarationLines(): string[] {
        return [...this.declarations].map(([name, body]) => `type ${name} = ${body};`);
    }

    private declare(name: string, node: CandidNode, body: () => string): string {
        const owner = this.owners.get(name);
        if (owner !== undefined) {
            if (owner !== node) throw new TypeError(`two different Candid types are both named "${name}"`);
            return name;
        }
        this.owners.set(name, node);
        this.declarations.set(name, ''); // reserve the position before printing the body (which may recurse)
        this.declarations.set(name, body());
        return name;
    }

    private node(node: CandidNode): string {
        switch (node.kind) {
            case 'opt':
                return `opt ${this.type(node.inner)}`;
            case 'vec': {
                const inner = this.type(node.inner);
                return inner === 'nat8' ? 'blob' : `vec ${inner}`;
            }
            case 'record':
                return this.fields('record', node.fields, false);
            case 'variant':
                return this.fields('variant', node.tags, true);
            case 'tuple':
                return node.items.length === 0 ? 'record {}' : `record { ${node.items.map((i) => this.type(i)).join('; ')} }`;
            case 'rec': {
                const target = candidMetaOf(node.target());
                if (target.name !== undefined) return this.type(node.target());
                let name = this.recNames.get(node);
                if (name === undefined) {
                    name = `rec_${this.recNames.size}`;
                    this.recNames.set(node, name);
                }
                return this.declare(name, node, () => this.node(target.node));
            }
            case 'func':
                return `func ${this.func(node)}`;
            case 'service':
                return `service { ${Object.entries(node.methods)
                    .map(([name, m]) => `${didLabel(name)} : ${this.func(m)};`)
                    .join(' ')} }`;
            default:
                return node.kind;
        }
    }

    private fields(keyword: string, fields: Readonly<Record<string, AnySchema>>, omitNull: boolean): string {
        const entries = Object.entries(fields);
        if (entries.length === 0) return `${keyword} {}`;
        const body = entries
            .map(([name, schema]) => {
                const type = this.type(schema);
                return omitNull && type === 'null' ? didLabel(name) : `${didLabel(name)} : ${type}`;
            })
            .join('; ');
        return `${keyword} { ${body} }`;
    }
}
