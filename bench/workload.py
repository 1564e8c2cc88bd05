"""The per-call workload of a real page: events in batches of 50, one batch per task.

``make bench``'s first per-call rows time one tight loop per call right after
ready. A page does not call that way: it makes a few calls per task (a click,
a route change), and between them the library's timers, deliveries and
promise callbacks run. So, on a warm visit once ready and the network is
quiet, this runs 500 ``track('E', {i})`` then 200 ``identify('u', {a: 1})``
in batches of 50, each batch in its own task (a ``setTimeout(0)`` between
batches), and gives per call:

* ``sync``: the batch's own synchronous time (``performance.now()`` around
  the loop), summed over batches, divided by the calls;
* ``task``: from a batch's start until a message posted right after it is
  handled: the loop, the promise callbacks it set off (analytics-next does
  a quarter to a third of its time there, in these runs) and whatever task
  was already queued;
* ``mainThread``: the renderer's main-thread task time (DevTools
  ``TaskDuration``) over the whole workload, deliveries included, until the
  network is quiet again;

and how many console warnings the library gave meanwhile (a full queue
drops its oldest event with one).

Both libraries run the same JavaScript; it is in :data:`WORKLOAD`.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from devtools import reader

#: (label, calls, JavaScript call of loop index i), run in this order.
STEPS = [
    ("track('E', {i})", 500, "analytics.track('E', { i })"),
    ("identify('u', {a: 1})", 200, "analytics.identify('u', { a: 1 })"),
]
BATCH = 50
#: Per-call figures of each step (see the module's docstring); targets compare ``TARGET_MEASURE``.
MEASURES = ("sync", "task")
TARGET_MEASURE = "sync"
EXPLAINED = ("`sync`: the batches' own synchronous time; `task`: until a message posted after each batch is "
             "handled (adds the promise callbacks the calls set off and tasks already queued); main-thread "
             "time: DevTools `TaskDuration` over the whole workload, deliveries included, until the network "
             "is quiet.")

WORKLOAD = """async ([batch]) => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 0));
  const afterQueued = () => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(null);
  });
  const warnings = { count: 0 };
  const warn = console.warn;
  console.warn = function () { warnings.count++; return warn.apply(this, arguments); };
  const steps = {};
  try {
%s
  } finally {
    console.warn = warn;
  }
  steps.warnings = warnings.count;
  return steps;
}"""

STEP = """    {
      let sync = 0, task = 0;
      for (let done = 0; done < %(calls)d; done += batch) {
        await pause();
        const start = performance.now();
        for (let i = done; i < Math.min(done + batch, %(calls)d); i++) %(call)s;
        const end = performance.now();
        const settled = await afterQueued();
        sync += end - start;
        task += settled - start;
      }
      steps[%(label)r] = { sync: sync * 1000 / %(calls)d, task: task * 1000 / %(calls)d };
    }"""


def run(page: Page, drain: Any) -> dict[str, Any]:
    """The workload on a page that is ready and quiet; ``drain(page)`` waits for its network to settle.

    Returns ``{label: {"sync": µs, "task": µs}, "mainThread": µs per call,
    "warnings": console warnings during the workload}``.
    """
    script = WORKLOAD % "\n".join(STEP % {"label": label, "calls": calls, "call": call}
                                  for label, calls, call in STEPS)
    drain(page)
    with reader(page) as read:
        before = read()["TaskDuration"]
        figures = page.evaluate(script, [BATCH])
        drain(page)
        calls = sum(n for _, n, _ in STEPS)
        figures["mainThread"] = (read()["TaskDuration"] - before) * 1e6 / calls
    return figures
