/// The explorer's page (`raftcheck explore`): self-contained, it talks only to its own server.
/// `?script=take:I,back,…` plays those steps through the page's own buttons on load (links to
/// a position; the browser tests use it).
enum ExplorePage {
    static let html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>raftcheck explore</title>
        <style>
        \(PageAssets.style)
        </style>
        </head>
        <body>
        <header><h1 id="title">raftcheck explore</h1>
        <div><button id="back">← back</button> <button id="reset">start again</button> <a id="save" href="/api/trace" download="explored.trace.json">save the path as a trace</a>
        <span id="error" class="bad"></span></div></header>
        <main>
        <div id="left" style="flex: 1 1 auto">
          <div class="panel"><h2>Path</h2><ol id="path" class="flight"></ol></div>
          <div class="panel"><h2>Enabled events (click one to take it)</h2><ul id="enabled" class="events"></ul></div>
        </div>
        <div id="side">
          <div class="panel" id="state"></div>
          <div class="panel"><h2>Properties in this state</h2><ul id="properties" class="props"></ul></div>
        </div>
        </main>
        <script>
        \(PageAssets.stateScript)
        let busy = Promise.resolve();
        function show(view) {
          document.getElementById('title').textContent = "raftcheck explore: spec '" + view.spec + "'" + (view.mutation ? ', mutation ' + view.mutation : '');
          const path = document.getElementById('path');
          path.textContent = '';
          for (const e of view.path) path.appendChild(el('li', {}, e));
          renderState(document.getElementById('state'), view.state);
          const list = document.getElementById('enabled');
          list.textContent = '';
          for (const c of view.enabled) {
            const b = el('button', {'data-index': String(c.index), 'data-kind': c.kind}, c.label + (c.leads ? '' : '  (no successor within the bounds)'));
            b.disabled = !c.leads;
            b.addEventListener('click', () => act('/api/take/' + c.index));
            const li = el('li'); li.appendChild(b); list.appendChild(li);
          }
          const props = document.getElementById('properties');
          props.textContent = '';
          for (const p of view.properties) {
            const failing = !p.holds && p.expectation === 'always';
            props.appendChild(el('li', {class: failing ? 'fail' : ''}, (p.holds ? '✓ ' : (failing ? '✗ ' : '· ')) + p.name + (p.expectation === 'sometimes' ? ' (sometimes)' : '')));
          }
        }
        function act(url, method) {
          busy = busy.then(() => fetch(url, {method: method || 'POST'})).then(async (r) => {
            const body = await r.json();
            document.getElementById('error').textContent = r.ok ? '' : body.error;
            if (r.ok) show(body);
          });
          return busy;
        }
        document.getElementById('back').addEventListener('click', () => act('/api/back'));
        document.getElementById('reset').addEventListener('click', () => act('/api/reset'));
        document.addEventListener('keydown', (e) => { if (e.key === 'Backspace' || e.key === 'ArrowLeft') { act('/api/back'); e.preventDefault(); } });
        act('/api/state', 'GET').then(async () => {
          const script = new URLSearchParams(location.search).get('script');
          for (const step of script ? script.split(',') : []) {
            if (step === 'back') document.getElementById('back').click();
            else if (step === 'reset') document.getElementById('reset').click();
            else if (step.startsWith('take:')) {
              const button = document.querySelector('#enabled button[data-index="' + step.slice(5) + '"]');
              if (!button) throw new Error('no enabled event ' + step.slice(5));
              button.click();
            }
            await busy;
          }
          document.body.dataset.ready = 'true';
        });
        </script>
        </body>
        </html>
        """
}
