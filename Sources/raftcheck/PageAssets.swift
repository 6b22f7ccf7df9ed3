/// The style and the state panel script the HTML trace view and the browser explorer share:
/// both pages are self-contained (nothing loaded from the network).
enum PageAssets {
    /// Escapes text for HTML and SVG content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let style = """
        body { font: 14px system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
        header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ddd; }
        header h1 { font-size: 16px; margin: 0 0 4px; }
        .bad { color: #b00020; font-weight: 600; }
        main { display: flex; gap: 16px; padding: 12px 16px; align-items: flex-start; }
        #diagram { overflow: auto; max-height: calc(100vh - 90px); background: #fff; border: 1px solid #ddd; flex: 1 1 auto; }
        #side { flex: 0 0 460px; position: sticky; top: 12px; }
        .panel { background: #fff; border: 1px solid #ddd; padding: 10px; margin-bottom: 12px; }
        .panel h2 { font-size: 14px; margin: 0 0 8px; }
        table.nodes { border-collapse: collapse; width: 100%; font-size: 13px; }
        table.nodes th, table.nodes td { border-bottom: 1px solid #eee; padding: 3px 5px; text-align: left; vertical-align: top; }
        tr.down td { color: #999; }
        tr.leader td.role { font-weight: 700; color: #0b5394; }
        .log { font-family: ui-monospace, monospace; white-space: nowrap; }
        .log .e { display: inline-block; min-width: 14px; padding: 0 2px; margin-right: 1px; text-align: center; border-radius: 2px; }
        .log .c { outline: 1px solid #555; }
        .log .snap { background: #ddd; }
        ul.flight { margin: 0; padding-left: 18px; font-family: ui-monospace, monospace; font-size: 12px; }
        ul.events { margin: 0; padding-left: 0; list-style: none; font-family: ui-monospace, monospace; font-size: 12px; }
        ul.events button { font: inherit; text-align: left; width: 100%; border: 1px solid #ccd; background: #f4f6ff; margin: 1px 0; cursor: pointer; }
        ul.events button:hover { background: #e0e6ff; }
        .props li.fail { color: #b00020; font-weight: 600; }
        svg text { font: 11px ui-monospace, monospace; fill: #222; }
        svg .lane { stroke: #bbb; stroke-width: 1; }
        svg .lanehead { font-weight: 700; font-size: 13px; }
        svg .row { fill: transparent; cursor: pointer; }
        svg .row:hover { fill: #f0f4ff; }
        svg .row.selected { fill: #dde7ff; }
        svg .row.violation { fill: #ffe0e0; }
        svg .row.violation.selected { fill: #ffc4c4; }
        svg .msg { stroke: #333; stroke-width: 1.4; fill: none; }
        svg .msg.drop { stroke: #c62828; stroke-dasharray: 4 3; }
        svg .local { fill: #4a7bd0; }
        svg .local.crash { fill: #c62828; }
        svg .local.restart { fill: #2e7d32; }
        svg .change { fill: #0b5394; font-weight: 700; }
        svg .stepno { fill: #888; }
        svg .net { fill: #6a1b9a; }
        """

    /// `renderState(panel, view)`: fills `panel` with a `StepView` (JSON) as a table of nodes
    /// and a list of the messages in flight.
    static let stateScript = """
        function el(tag, attrs, text) {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
          if (text !== undefined) e.textContent = text;
          return e;
        }
        const palette = ['#fff', '#ffe9a8', '#c8e6c9', '#bbdefb', '#f8bbd0', '#d1c4e9', '#ffccbc', '#b2dfdb', '#f0f4c3'];
        function renderLog(node) {
          const span = el('span', {class: 'log'});
          if (node.log_start > 0) span.appendChild(el('span', {class: 'e snap', title: 'snapshot at ' + node.log_start}, 'S' + node.log_start));
          node.log_terms.slice(1).forEach((term, i) => {
            const index = node.log_start + i + 1;
            const cls = 'e' + (index <= node.commit ? ' c' : '');
            const e = el('span', {class: cls, title: 'index ' + index + ', term ' + term}, String(term));
            e.style.background = palette[term % palette.length];
            span.appendChild(e);
          });
          if (node.log_terms.length <= 1 && node.log_start === 0) span.appendChild(el('span', {}, '(empty)'));
          return span;
        }
        function renderState(panel, view) {
          panel.textContent = '';
          panel.appendChild(el('h2', {}, view.step === 0 ? 'Initial state' : 'After step ' + view.step + ': ' + view.event));
          if (view.violation) panel.appendChild(el('p', {class: 'bad', id: 'violation'}, 'Violates ' + view.violation));
          const table = el('table', {class: 'nodes'});
          const head = el('tr');
          for (const h of ['node', 'role', 'term', 'vote', 'leader', 'log (terms; outlined: committed)', 'commit', 'applied', 'config'])
            head.appendChild(el('th', {}, h));
          table.appendChild(head);
          for (const n of view.nodes) {
            const row = el('tr', {class: 'node ' + (n.up ? n.role : 'down'), 'data-node': String(n.id)});
            row.appendChild(el('td', {}, 'n' + n.id));
            row.appendChild(el('td', {class: 'role'}, n.role));
            row.appendChild(el('td', {class: 'term'}, String(n.term)));
            row.appendChild(el('td', {}, n.vote ? 'n' + n.vote : '-'));
            row.appendChild(el('td', {}, n.leader ? 'n' + n.leader : '-'));
            const log = el('td'); log.appendChild(renderLog(n)); row.appendChild(log);
            row.appendChild(el('td', {class: 'commit'}, String(n.commit)));
            row.appendChild(el('td', {class: 'applied'}, String(n.applied)));
            row.appendChild(el('td', {}, n.up ? 'voters ' + n.voters.join(',') + (n.learners.length ? ' learners ' + n.learners.join(',') : '') : ''));
            table.appendChild(row);
          }
          panel.appendChild(table);
          panel.appendChild(el('h2', {style: 'margin-top: 10px'}, 'In flight (' + view.in_flight.length + ')'));
          const flight = el('ul', {class: 'flight'});
          for (const m of view.in_flight) flight.appendChild(el('li', {}, m));
          panel.appendChild(flight);
        }
        """
}
