package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Viewer is what every page needs to know about the person looking at it:
// the layout shows their name and a sign-out button carrying the CSRF token.
type Viewer struct {
	SignedIn bool
	Name     string
	Roles    []string
	CSRF     string
	// Dev marks the development environment, where the layout says so.
	Dev bool
	// Standing is how the viewer stands with the co-op (StandingMember
	// and the others), as the member register tells every page; empty
	// for the API, which renders none.
	Standing string
}

// How a viewer stands with the co-op (Viewer.Standing). General meetings,
// their minutes and votes are for members, the board and auditors;
// anyone else is told what would let them take part.
const (
	StandingMember    = "member"    // acts for an active member
	StandingApplicant = "applicant" // an application waits for the board
	StandingSuspended = "suspended" // a membership is suspended
	StandingNone      = "none"      // never applied, or no longer a member
)

// Outsider reports whether the viewer is known to be shut out of the
// meetings and the minutes: signed in, acting for no active member, and
// neither on the board nor an auditor.
func (v Viewer) Outsider() bool {
	return v.SignedIn && v.Standing != "" && v.Standing != StandingMember && !v.HasRole("board") && !v.HasRole("auditor")
}

// HasRole reports whether the viewer holds the site role.
func (v Viewer) HasRole(role string) bool {
	for _, r := range v.Roles {
		if r == role {
			return true
		}
	}
	return false
}

const localViewer = "osk.viewer"

// SetViewer records who is looking, for the templates.
func SetViewer(c *fiber.Ctx, v Viewer) { c.Locals(localViewer, v) }

// ViewerOf returns who is looking; the zero Viewer is an anonymous visitor.
func ViewerOf(c *fiber.Ctx) Viewer {
	v, _ := c.Locals(localViewer).(Viewer)
	return v
}

// Render renders a view inside the layout. data must hold a "Title"; the
// viewer is added under "Viewer".
func Render(c *fiber.Ctx, view string, data fiber.Map) error {
	if data == nil {
		data = fiber.Map{}
	}
	data["Viewer"] = ViewerOf(c)
	data["RequestID"] = RequestID(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Render(view, data)
}

// assets serves the embedded public files. Templates link them through the
// "asset" function, which adds a content hash to the URL so the files can be
// cached for a year and still change with every release.
type assets struct {
	files  fs.FS
	hashes map[string]string
}

func newAssets(files fs.FS) (*assets, error) {
	a := &assets{files: files, hashes: map[string]string{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return a, nil
}

func (a *assets) url(name string) (string, error) {
	h, ok := a.hashes[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

func (a *assets) handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		name := path.Clean(c.Params("*"))
		// Only the files found at start are served: no directory listings,
		// no path outside the embedded tree.
		if _, ok := a.hashes[name]; !ok {
			return fiber.ErrNotFound
		}
		b, err := fs.ReadFile(a.files, name)
		if err != nil {
			return fiber.ErrNotFound
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			c.Set(fiber.HeaderContentType, ct)
		}
		if c.Query("v") == a.hashes[name] {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		}
		return c.Send(b)
	}
}

func templateFuncs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.url,
		// datetime formats a time for people: the time in its own zone,
		// with the zone's abbreviation, never a bare UTC value.
		"datetime": func(t time.Time, zone string) string {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				loc = time.UTC
			}
			return t.In(loc).Format("Monday 2 January 2006, 15:04 MST")
		},
		"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":    strings.Join,
		// dict builds the data of a partial from name-value pairs:
		// {{template "partials/field" dict "Name" "email" "Label" "Email" "Page" $}}
		"dict": func(pairs ...any) (map[string]any, error) {
			if len(pairs)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(pairs)/2)
			for i := 0; i < len(pairs); i += 2 {
				k, ok := pairs[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
				}
				m[k] = pairs[i+1]
			}
			return m, nil
		},
		// fieldError returns the message for one field of a failed form.
		"fieldError": func(fieldErrors any, name string) string {
			m, _ := fieldErrors.(map[string]string)
			return m[name]
		},
	}
}
