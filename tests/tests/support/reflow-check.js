// Run inside the page at the window's width: the page must not scroll sideways (WCAG 1.4.10,
// reflow) and no id may be used twice (a label or a link would point at the first one only).
// Returns a list of problems; an overflow names the elements that stick out.
const problems = [];
const width = window.innerWidth;
const root = document.documentElement;
if (root.scrollWidth > width) {
  // Inside a box that clips or scrolls, an element does not widen the page (unless it is
  // positioned against a box outside that one).
  const clipped = (el) => {
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const sticking = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > width + 0.5 && !clipped(el),
  );
  // The innermost ones are the culprits; their ancestors only stick out because of them.
  const innermost = sticking.filter((el) => !sticking.some((o) => o !== el && el.contains(o)));
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".")
      : "";
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 30);
    return `<${el.tagName.toLowerCase()}${id}${cls}> ${Math.round(el.getBoundingClientRect().right)} px "${text}"`;
  };
  problems.push(
    `scrolls sideways: ${root.scrollWidth} px of page in a ${width} px window; ` +
      innermost.slice(0, 4).map(describe).join("; "),
  );
}
const seen = new Map();
document.querySelectorAll("[id]").forEach((el) => seen.set(el.id, (seen.get(el.id) || 0) + 1));
for (const [id, n] of seen) {
  if (n > 1) problems.push(`id "${id}" is used ${n} times`);
}
return problems;
