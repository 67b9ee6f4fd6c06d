// The page's only script: a hover readout (a cursor line and the values of every series at that
// time). Inline and self-contained; the page is complete without it. It reads what svg.ts wrote:
// the plot's pixel range and time span on the <svg>, each path's points (x in `d`, values in
// data-v, in the same order), and writes labels with textContent only.
export const HOVER_SCRIPT = `(() => {
  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const unitText = { count: '', bytes: ' B', 'per-second': '/s' };
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const x0 = Number(svg.dataset.x0), x1 = Number(svg.dataset.x1), span = Number(svg.dataset.span);
    const suffix = unitText[svg.dataset.unit] || '';
    const plot = svg.querySelector('rect.plot');
    const series = [...svg.querySelectorAll('path[data-series]')].map((p) => ({
      label: p.dataset.series, color: p.getAttribute('stroke'),
      x: (p.getAttribute('d').match(/[ML][0-9.]+/g) || []).map((c) => Number(c.slice(1))),
      v: p.dataset.v.split(',').map(Number),
    }));
    const cursor = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    cursor.setAttribute('class', 'cursor');
    cursor.setAttribute('y1', plot.getAttribute('y'));
    cursor.setAttribute('y2', Number(plot.getAttribute('y')) + Number(plot.getAttribute('height')));
    cursor.style.display = 'none';
    svg.appendChild(cursor);
    const tip = document.createElement('div');
    tip.className = 'tip';
    tip.hidden = true;
    svg.parentNode.appendChild(tip);
    const hide = () => { tip.hidden = true; cursor.style.display = 'none'; };
    const nearest = (xs, x) => {
      let lo = 0, hi = xs.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid + 1; else hi = mid; }
      return lo > 0 && x - xs[lo - 1] < xs[lo] - x ? lo - 1 : lo;
    };
    svg.addEventListener('mousemove', (e) => {
      const pt = svg.createSVGPoint();
      pt.x = e.clientX;
      pt.y = e.clientY;
      const x = pt.matrixTransform(svg.getScreenCTM().inverse()).x;
      if (x < x0 || x > x1) return hide();
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
      cursor.style.display = '';
      tip.replaceChildren();
      const head = document.createElement('div');
      head.className = 'tip-time';
      const t = ((x - x0) / (x1 - x0)) * span;
      head.textContent = t < 60 ? number.format(t) + ' s'
        : (t >= 3600 ? Math.floor(t / 3600) + ' h ' : '') + Math.floor((t % 3600) / 60) + ' min ' + (t % 60).toFixed(1) + ' s';
      tip.appendChild(head);
      for (const s of series) {
        if (!s.x.length) continue;
        const i = nearest(s.x, x);
        // Across a gap (no value there), say nothing rather than show a distant point's value.
        if (Math.abs(s.x[i] - x) > Math.max(6, (2 * (x1 - x0)) / s.x.length)) continue;
        const row = document.createElement('div');
        const dot = document.createElement('span');
        dot.className = 'dot';
        dot.style.background = s.color;
        row.append(dot, s.label + ': ' + number.format(s.v[i]) + suffix);
        tip.appendChild(row);
      }
      const box = svg.parentNode.getBoundingClientRect();
      tip.hidden = false;
      const left = e.clientX - box.left + 14;
      tip.style.left = (left + tip.offsetWidth > box.width ? left - tip.offsetWidth - 28 : left) + 'px';
      tip.style.top = (e.clientY - box.top + 14) + 'px';
    });
    svg.addEventListener('mouseleave', hide);
  }
})();`;
