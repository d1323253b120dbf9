// MathJax 3 configuration, read before assets/mathjax/tex-chtml.js (copied from the Python
// package django-static-mathjax by docs/hooks/polylr_site.py; no CDN). pymdownx.arithmatex
// (generic mode) wraps the math in \( \) and \[ \] inside elements of class "arithmatex".
// textmacros makes \_ and friends work inside \text{...} and \texttt{...}.
window.MathJax = {
  loader: { load: ["[tex]/textmacros"] },
  tex: {
    packages: { "[+]": ["textmacros"] },
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex", enableMenu: false },
};
