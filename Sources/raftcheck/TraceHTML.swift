import Foundation
import RaftCore
import RaftSim
import RaftCheckFiles

/// `show --format html`: one self-contained page for a cluster trace. A sequence diagram in
/// SVG (a lane per node, an arrow per message delivered, a dashed one per message lost, marks
/// for local events, crashes and restarts, and role and term changes beside the lanes), and a
/// panel with every node's state after the selected step. The failing step is highlighted and
/// selected first (or the step a `#step=N` link names); a click or the arrow keys (also j/k,
/// Home/End) select a step.
enum TraceHTML {
    static let laneGap = 150.0, rowHeight = 26.0, left = 70.0, top = 46.0

    static func page(_ trace: Trace, _ events: [Event], _ states: [ClusterState], _ model: ClusterModel, diverged: Int?, trap: String?) -> String {
        let steps = states.indices.map { StepView(step: $0, event: $0 == 0 ? nil : events[$0 - 1], state: states[$0], model: model) }
        let failing = steps.first { $0.violation != nil }?.step
        let title = "raftcheck trace: spec '\(trace.spec.name)'"
        var summary = "\(trace.spec.nodes) nodes, \(events.count) events, mutation \(trace.mutation ?? "none")"
        if let seed = trace.seed { summary += ", seed \(seed)" }
        var verdict = ""
        if let trap {
            verdict = "<span class=\"bad\">\(PageAssets.escape(trap)); the states shown end before it</span>"
        } else if let failing, let property = steps[failing].violation {
            verdict = "<span class=\"bad\">\(PageAssets.escape(property)) violated at step \(failing)</span>"
        } else if let recorded = trace.violation {
            verdict = "<span class=\"bad\">the trace records \(PageAssets.escape(recorded.property)) at step \(recorded.step); replayed here, no property fails</span>"
        }
        if let diverged { verdict += " <span class=\"bad\">diverged: event \(diverged + 1) is not enabled here</span>" }
        struct PageData: Encodable { var steps: [StepView]; var initial: Int }
        // JSONEncoder writes "/" as "\/", so the data cannot close its script element.
        let json = String(decoding: (try? encodeJSON(PageData(steps: steps, initial: failing ?? steps.count - 1), compact: true)) ?? Data("{}".utf8), as: UTF8.self)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(PageAssets.escape(title))</title>
            <style>
            \(PageAssets.style)
            </style>
            </head>
            <body>
            <header><h1>\(PageAssets.escape(title))</h1><div>\(PageAssets.escape(summary)) \(verdict)</div>
            <div style="color:#777;font-size:12px">Click a step, or use ↑/↓ (j/k), Home and End.</div></header>
            <main>
            <div id="diagram">
            \(diagram(trace.spec.nodes, events, states, steps, failing: failing))
            </div>
            <div id="side"><div class="panel" id="state"></div></div>
            </main>
            <script type="application/json" id="trace-data">\(json)</script>
            <script>
            \(PageAssets.stateScript)
            const data = JSON.parse(document.getElementById('trace-data').textContent);
            let current = data.initial;
            function select(step) {
              current = Math.max(0, Math.min(data.steps.length - 1, step));
              for (const row of document.querySelectorAll('svg .row'))
                row.classList.toggle('selected', Number(row.dataset.step) === current);
              renderState(document.getElementById('state'), data.steps[current]);
              const row = document.querySelector('svg .row[data-step="' + current + '"]');
              if (row && row.scrollIntoView) row.scrollIntoView({block: 'nearest'});
            }
            for (const row of document.querySelectorAll('svg [data-step]'))
              row.addEventListener('click', () => select(Number(row.dataset.step)));
            document.addEventListener('keydown', (e) => {
              if (e.key === 'ArrowDown' || e.key === 'j') select(current + 1);
              else if (e.key === 'ArrowUp' || e.key === 'k') select(current - 1);
              else if (e.key === 'Home') select(0);
              else if (e.key === 'End') select(data.steps.length - 1);
              else return;
              e.preventDefault();
            });
            const linked = /^#step=([0-9]+)$/.exec(location.hash);
            select(linked ? Number(linked[1]) : current);
            document.body.dataset.ready = 'true';
            </script>
            </body>
            </html>

            """
    }

    static func x(_ node: UInt64) -> Double { left + Double(node - 1) * laneGap + laneGap / 2 }
    static func y(_ step: Int) -> Double { top + Double(step) * rowHeight }

    /// The SVG: lanes, then a row per step (the initial state is row 0).
    static func diagram(_ nodes: Int, _ events: [Event], _ states: [ClusterState], _ steps: [StepView], failing: Int?) -> String {
        let width = left + Double(nodes) * laneGap + 20
        let height = y(steps.count) + 10
        let f = { (v: Double) in String(format: "%.0f", v) }
        var svg = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">",
                   "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/></marker></defs>"]
        for step in steps.indices {
            let classes = "row" + (step == failing ? " violation" : "")
            svg.append("<rect class=\"\(classes)\" data-step=\"\(step)\" x=\"0\" y=\"\(f(y(step) - rowHeight / 2))\" width=\"\(f(width))\" height=\"\(f(rowHeight))\"/>")
        }
        for node in 1...UInt64(nodes) {
            svg.append("<text class=\"lanehead\" x=\"\(f(x(node)))\" y=\"20\" text-anchor=\"middle\">n\(node)</text>")
            svg.append("<line class=\"lane\" x1=\"\(f(x(node)))\" y1=\"28\" x2=\"\(f(x(node)))\" y2=\"\(f(height))\"/>")
        }
        svg.append("<text class=\"stepno\" x=\"6\" y=\"\(f(y(0) + 4))\">0</text><text x=\"\(f(left))\" y=\"\(f(y(0) + 4))\">initial state</text>")
        for (i, event) in events.enumerated() where i + 1 < states.count {
            let step = i + 1, rowY = y(step)
            svg.append("<g data-step=\"\(step)\" class=\"event kind-\(event.kind)\"><title>\(PageAssets.escape("\(step). \(event)"))</title>")
            svg.append("<text class=\"stepno\" x=\"6\" y=\"\(f(rowY + 4))\">\(step)</text>")
            switch event {
            case .deliver(let m), .drop(let m):
                let (x1, x2) = (x(m.from.rawValue), x(m.to.rawValue))
                let lost: Bool = if case .drop = event { true } else { false }
                let end = lost ? (x1 + x2) / 2 : x2
                svg.append("<line class=\"msg \(lost ? "drop" : "deliver")\" x1=\"\(f(x1))\" y1=\"\(f(rowY))\" x2=\"\(f(end))\" y2=\"\(f(rowY))\"\(lost ? "" : " marker-end=\"url(#arrow)\"")/>")
                if lost { svg.append("<text x=\"\(f(end - 4))\" y=\"\(f(rowY + 4))\" fill=\"#c62828\">✕</text>") }
                let label = (lost ? "lost: " : "") + Show.label(m)
                svg.append("<text x=\"\(f((x1 + end) / 2))\" y=\"\(f(rowY - 4))\" text-anchor=\"middle\">\(PageAssets.escape(label))</text>")
            case .duplicate(let m):
                svg.append("<circle class=\"local\" cx=\"\(f(x(m.from.rawValue)))\" cy=\"\(f(rowY))\" r=\"4\"/>")
                svg.append("<text x=\"\(f(x(m.from.rawValue) + 8))\" y=\"\(f(rowY + 4))\">copied: \(PageAssets.escape("→n\(m.to.rawValue) \(Show.label(m))"))</text>")
            case .partition, .heal, .stabilize:
                svg.append("<text class=\"net\" x=\"\(f(left))\" y=\"\(f(rowY + 4))\">\(PageAssets.escape("\(event)"))</text>")
            default:
                let node = TraceEvent(event).node ?? 1
                let kind = event.kind
                svg.append("<circle class=\"local \(kind)\" cx=\"\(f(x(node)))\" cy=\"\(f(rowY))\" r=\"\(kind == "crash" || kind == "restart" ? 6 : 4)\"/>")
                var label = "\(event)"
                if label.hasPrefix("\(kind) \(node)") { label = kind + label.dropFirst("\(kind) \(node)".count) }
                svg.append("<text x=\"\(f(x(node) + 9))\" y=\"\(f(rowY + 4))\">\(PageAssets.escape(label))</text>")
            }
            for change in Show.changes(states[i], states[step]) {
                svg.append("<text class=\"change\" x=\"\(f(x(UInt64(change.node)) - 8))\" y=\"\(f(rowY + 11))\" text-anchor=\"end\">\(PageAssets.escape(change.text))</text>")
            }
            svg.append("</g>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }
}
