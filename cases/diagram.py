"""SVG diagram of a workflow statechart for the case page (SPEC section 5).

Pure Python and no JavaScript: the case page is server-rendered and the diagram has to work
with scripts disabled. State and event names come from user-supplied definitions, so every
piece of text goes through `_text` or `_attr` on its way into the markup.

The layout is layered top-to-bottom, not left-to-right: the case page is one column and
statecharts are usually deeper than they are wide, so rows of states keep the drawing narrow
enough to stay legible when it is scaled down to a phone's width.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import deque
from xml.sax.saxutils import escape, quoteattr

FONT, LABEL_FONT = 13, 11
CHAR_W, LABEL_CHAR_W = 7.5, 6.4
BOX_H, BOX_PAD, MIN_BOX_W = 34, 14, 72
ROW_GAP, COL_GAP, MARGIN = 84, 36, 32
ENTRY = 30  # room left of the initial state for its entry dot and arrow
LOOP = 34  # how far a self-loop reaches out to the right of its state
LANE_GAP = 22  # spacing of the back-edge lanes to the right of all states
LABEL_H = 16
INK, EDGE_INK = "#334155", "#64748b"
# Tried in order; the first spot along the edge that hides nothing else gets the label.
LABEL_SPOTS = (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9)

# Characters XML 1.0 forbids even when escaped (and lone surrogates, which cannot be encoded):
# one of them in a state name would make the whole page's SVG unparsable.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_XML_ILLEGAL.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_ILLEGAL.sub("", value))


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def _width(text: str, char_w: float) -> float:
    # East Asian wide glyphs take about two Latin ones; counting them once would clip CJK names.
    return char_w * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _layers(states: list[str], pairs: list[tuple[str, str]], initial: str):
    successors: dict[str, list[str]] = {s: [] for s in states}
    for src, dst in pairs:
        successors[src].append(dst)
    depth: dict[str, int] = {}
    if initial in successors:
        depth[initial] = 0
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            for nxt in successors[state]:
                if nxt not in depth:
                    depth[nxt] = depth[state] + 1
                    queue.append(nxt)
    last = max(depth.values(), default=-1) + 1
    # Discovery order within a row keeps siblings under the state that reached them first.
    rows: list[list[str]] = [[] for _ in range(last)]
    for state, d in depth.items():
        rows[d].append(state)
    unreachable = [s for s in states if s not in depth]
    if unreachable:
        rows.append(unreachable)
        depth.update(dict.fromkeys(unreachable, last))
    return rows, depth


def _cubic(p0, p1, p2, p3, t: float) -> tuple[float, float]:
    u = 1 - t
    return tuple(u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d for a, b, c, d in zip(p0, p1, p2, p3))


def _along(points, t: float) -> tuple[float, float]:
    segments = list(zip(points, points[1:]))
    goal = t * sum(math.dist(p, q) for p, q in segments)
    for (x0, y0), (x1, y1) in segments:
        length = math.dist((x0, y0), (x1, y1))
        if length and goal <= length:
            return x0 + (x1 - x0) * goal / length, y0 + (y1 - y0) * goal / length
        goal -= length
    return points[-1]


def _rounded(points, radius: float = 8) -> str:
    # Orthogonal detours with rounded corners read as one smooth curve and are easy to follow.
    def toward(p, q):
        f = min(radius, math.dist(p, q) / 2) / (math.dist(p, q) or 1)
        return f"{_n(p[0] + (q[0] - p[0]) * f)},{_n(p[1] + (q[1] - p[1]) * f)}"

    d = [f"M{_n(points[0][0])},{_n(points[0][1])}"]
    for before, corner, after in zip(points, points[1:], points[2:]):
        d.append(f"L{toward(corner, before)} Q{_n(corner[0])},{_n(corner[1])} {toward(corner, after)}")
    d.append(f"L{_n(points[-1][0])},{_n(points[-1][1])}")
    return " ".join(d)


def _overlaps(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def statechart_svg(
    *,
    states: list[str],
    edges: list[tuple[str, str | None, str]],
    initial: str,
    current: str | None,
    final_states: set[str],
    title: str = "Workflow diagram",
) -> str:
    # An edge naming an undeclared state still needs somewhere to start and end.
    states = list(dict.fromkeys([*states, *(s for src, _, dst in edges for s in (src, dst))]))
    pairs: dict[tuple[str, str], list[str]] = {}
    for src, event, dst in edges:
        names = pairs.setdefault((src, dst), [])
        name = "always" if event is None else event
        if name not in names:
            names.append(name)
    labels = {pair: ", ".join(names) for pair, names in pairs.items()}
    rows, depth = _layers(states, list(pairs), initial)
    loops = {src: labels[src, dst] for src, dst in pairs if src == dst}
    # Derived from the input: deterministic, yet distinct for different diagrams on one page.
    key = repr((states, sorted(pairs.items()), initial, current, sorted(final_states), title))
    marker = "statechart-arrow-" + hashlib.sha1(key.encode("utf-8", "backslashreplace")).hexdigest()[:10]

    # Place each row from x=0, then centre it under the widest row.
    placed_rows = []
    for row in rows:
        x, placed = 0.0, []
        for state in row:
            x += ENTRY if state == initial else 0
            w = max(MIN_BOX_W, _width(state, CHAR_W) + 2 * BOX_PAD)
            placed.append((state, x, w))
            x += w + COL_GAP + (LOOP + 16 + _width(loops[state], LABEL_CHAR_W) if state in loops else 0)
        placed_rows.append((placed, x - COL_GAP))
    widest = max((extent for _, extent in placed_rows), default=0)
    box: dict[str, tuple[float, float, float]] = {}
    for r, (placed, extent) in enumerate(placed_rows):
        for state, x, w in placed:
            box[state] = (MARGIN + (widest - extent) / 2 + x, MARGIN + r * (BOX_H + ROW_GAP), w)
    right = MARGIN + widest

    taken = [(x, y, w, BOX_H) for x, y, w in box.values()]  # areas a label must not cover
    paths, label_marks, corners = [], [], []  # corners: detour bends, for the bounds
    lanes = 0
    above = [0] * len(rows)  # detours already running in the strip above / below each row
    below = [0] * len(rows)

    def place_label(text, spots):
        w = _width(text, LABEL_CHAR_W) + 8
        rects = [(cx - w / 2, cy - LABEL_H / 2, w, LABEL_H) for cx, cy in spots]
        rect = next((r for r in rects if not any(_overlaps(r, other) for other in taken)), rects[0])
        taken.append(rect)
        label_marks.append(
            f'<g class="edge-label"><rect x="{_n(rect[0])}" y="{_n(rect[1])}" width="{_n(w)}" '
            f'height="{LABEL_H}" rx="3" fill="#fff" fill-opacity="0.9"/><text x="{_n(rect[0] + w / 2)}" '
            f'y="{_n(rect[1] + LABEL_H / 2 + LABEL_FONT * 0.35)}" font-size="{LABEL_FONT}" '
            f'text-anchor="middle" fill="{INK}">{_text(text)}</text></g>'
        )

    # Self-loop labels have room reserved beside their state, so they are placed first.
    for (src, dst), text in labels.items():
        if src == dst:
            x, y, w = box[src]
            x2, cy = x + w, y + BOX_H / 2
            c = f"{_n(x2 + LOOP)},{_n(cy - BOX_H)} {_n(x2 + LOOP)},{_n(cy + BOX_H)}"
            paths.append((src, dst, f"M{_n(x2)},{_n(cy - 7)} C{c} {_n(x2)},{_n(cy + 7)}"))
            place_label(text, [(x2 + LOOP + 8 + (_width(text, LABEL_CHAR_W) + 8) / 2, cy)])

    # Forward edges first, so the main flow gets its labels at the midpoints; then back edges by
    # span, so shorter ones take the inner lanes and longer ones wrap around them without crossing.
    others = (pair for pair in labels if pair[0] != pair[1])
    for src, dst in sorted(others, key=lambda pair: max(0, depth[pair[0]] - depth[pair[1]] + 1)):
        text = labels[src, dst]
        (sx, sy, sw), (tx, ty, tw) = box[src], box[dst]
        if depth[dst] > depth[src]:
            # BFS layering means a forward edge always spans exactly one row gap: a plain S-curve.
            a, b = (sx + sw / 2, sy + BOX_H), (tx + tw / 2, ty)
            c1, c2 = (a[0], (a[1] + b[1]) / 2), (b[0], (a[1] + b[1]) / 2)
            d = " ".join(f"{_n(px)},{_n(py)}" for px, py in (a, c1, c2, b))
            paths.append((src, dst, "M" + d.replace(" ", " C", 1)))
            place_label(text, [_cubic(a, c1, c2, b, t) for t in LABEL_SPOTS])
            continue
        row = depth[src]
        up = sy - 10 - 7 * above[row]
        above[row] += 1
        if depth[dst] == row:
            # Same row: a bracket over the row, each one higher so parallel brackets stay apart.
            points = [(sx + sw * 0.65, sy), (sx + sw * 0.65, up), (tx + tw * 0.35, up), (tx + tw * 0.35, ty)]
        else:
            # Back edges leave by the top, climb a lane of their own right of every state and enter
            # by the bottom, so they never run along a forward edge or through a state.
            lanes += 1
            lane = right + LANE_GAP * lanes
            down = ty + BOX_H + 10 + 7 * below[depth[dst]]
            below[depth[dst]] += 1
            sx, tx = sx + sw * 0.8, tx + tw * 0.8
            points = [(sx, sy), (sx, up), (lane, up), (lane, down), (tx, down), (tx, ty + BOX_H)]
        corners.extend(points)
        paths.append((src, dst, _rounded(points)))
        place_label(text, [_along(points, t) for t in LABEL_SPOTS])

    arrow = f'marker-end="url(#{marker})"'
    marks = [
        f'<path class="edge" data-source={_attr(src)} data-target={_attr(dst)} d="{d}" fill="none" '
        f'stroke="{EDGE_INK}" stroke-width="1.5" {arrow}/>'
        for src, dst, d in paths
    ]
    marks += [_state_mark(s, box[s], s == current, s in final_states, s == initial, arrow) for s in states]
    marks.extend(label_marks)  # last, so labels sit on top of the lines they name

    xs = [x for r in taken for x in (r[0], r[0] + r[2])] + [x for x, _ in corners]
    ys = [y for r in taken for y in (r[1], r[1] + r[3])] + [y for _, y in corners]
    min_x, min_y = min([0, *xs]) - 4, min([0, *ys]) - 4
    max_x, max_y = max([0, *xs]) + MARGIN, max([0, *ys]) + MARGIN
    width, height = max_x - min_x, max_y - min_y
    label = f"{title}. Current state: {current}." if current is not None else f"{title}. No current state."
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="statechart" role="img" aria-label={_attr(label)} '
        f'viewBox="{_n(min_x)} {_n(min_y)} {_n(width)} {_n(height)}" width="100%" '
        # Full column width on narrow screens, but never blown up past its natural size on wide ones.
        f'style="max-width:{_n(width)}px;height:auto" font-family="system-ui, -apple-system, sans-serif">'
        f"<title>{_text(title)}</title>"
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE_INK}"/></marker></defs>'
        f'{"".join(marks)}</svg>'
    )


def _state_mark(state, geometry, is_current, is_final, is_initial, arrow) -> str:
    x, y, w = geometry
    cy = y + BOX_H / 2
    fill, stroke, stroke_w = ("#fde68a", "#b45309", 3) if is_current else ("#f8fafc", "#475569", 1.5)
    # `[data-state]` selects every state; the class is kept for the highlight alone.
    current = ' class="current" aria-current="true"' if is_current else ""
    out = [f"<g data-state={_attr(state)}{current}>"]
    out.append(
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{BOX_H}" rx="10" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_w}"/>'
    )
    if is_final:
        out.append(
            f'<rect x="{_n(x + 4)}" y="{_n(y + 4)}" width="{_n(w - 8)}" height="{BOX_H - 8}" rx="7" '
            f'fill="none" stroke="{stroke}" stroke-width="1.2"/>'
        )
    if is_initial:
        out.append(f'<circle class="entry" cx="{_n(x - ENTRY + 6)}" cy="{_n(cy)}" r="5" fill="{INK}"/>')
        out.append(
            f'<path class="entry" d="M{_n(x - ENTRY + 11)},{_n(cy)} H{_n(x)}" '
            f'stroke="{INK}" stroke-width="1.5" {arrow}/>'
        )
    weight = ' font-weight="bold"' if is_current else ""
    out.append(
        f'<text x="{_n(x + w / 2)}" y="{_n(cy + FONT * 0.35)}" font-size="{FONT}" text-anchor="middle" '
        f'fill="{INK}"{weight}>{_text(state)}</text></g>'
    )
    return "".join(out)
