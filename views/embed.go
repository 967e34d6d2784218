// Package views holds Osk's HTML templates (gofiber/template/html), one
// folder per domain with one layout and a few partials, embedded so the
// binary carries them.
package views

import "embed"

// FS is the template tree.
//
//go:embed layouts partials */*.html
var FS embed.FS
