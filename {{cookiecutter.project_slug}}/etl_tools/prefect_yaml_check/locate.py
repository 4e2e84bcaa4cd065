"""Where things are in the YAML: the line of a key, keys written twice, alias bombs.

Checks work on the loaded data (dicts and lists) and name what they find by its data path,
e.g. `("deployments", 0, "work_pool", "name")`; `line_of` turns that path into the line of
the key in the file, following `<<:` merges and aliases the way PyYAML loads them, so a
finding inside an anchor is reported at the anchor.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

MERGE = "tag:yaml.org,2002:merge"
MAX_NODES = 1_000_000  # more than this once aliases are expanded: an alias bomb


def _child(node: yaml.Node, key: object) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of a mapping entry, following `<<:` merges like PyYAML."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in reversed(node.value):
        if (
            isinstance(key_node, yaml.ScalarNode)
            and key_node.value == str(key)
            and key_node.tag != MERGE
        ):
            return key_node, value_node
    for key_node, value_node in node.value:
        if key_node.tag != MERGE:
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            found = _child(source, key)
            if found:
                return found
    return None


def line_of(node: yaml.Node | None, path: tuple) -> int:
    """The 1-based line of the deepest key or item of `path` the document has."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        found = _child(node, part)
        if found is None:
            break
        key_node, node = found
        line = key_node.start_mark.line + 1
    return line


def expanded_size(node: yaml.Node, sizes: dict[int, int] | None = None) -> int:
    """How many nodes the document has with every alias expanded (linear time)."""
    sizes = {} if sizes is None else sizes
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a node being counted (YAML allows no cycles here)
        children: list = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        sizes[id(node)] = 1 + sum(expanded_size(child, sizes) for child in children)
    return sizes[id(node)]


def duplicate_keys(node: yaml.Node) -> Iterator[tuple[int, str, int]]:
    """(line, key, line of the other one) for every key written twice in one mapping."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        if not isinstance(node, yaml.MappingNode):
            continue
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            stack.append(value_node)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE:
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in keys:
                yield line, key_node.value, keys[key_node.value]
            keys[key_node.value] = line


def walk(value: object, path: tuple = ()) -> Iterator[tuple[tuple, object, object]]:
    """Every (path, key or None, value) below `value`, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), key, item
            yield from walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield path + (index,), None, item
            yield from walk(item, path + (index,))


def where(path: tuple) -> str:
    """A data path as a reader writes it: `deployments[0].work_pool.name`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
