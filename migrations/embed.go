// Package migrations holds the numbered goose SQL migrations of Osk's schema,
// embedded so that the binary can migrate a database on its own.
//
// One concern per file; a file is never edited after it has landed.
package migrations

import "embed"

// FS is the migration files, applied in order by internal/db.
//
//go:embed *.sql
var FS embed.FS
