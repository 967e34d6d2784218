// Package public holds the static files served under /static/: the stylesheet,
// the small progressive scripts and the icons. They are embedded in the binary.
package public

import "embed"

// FS is the static file tree.
//
//go:embed css js
var FS embed.FS
