package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// minMajor is the oldest PostgreSQL Osk supports; initdb's
// --no-instructions, used below, appeared in 14.
const minMajor = 14

// ErrNoBinaries means the machine has no PostgreSQL server programs that
// Start could use.
var ErrNoBinaries = errors.New("pgcluster: no PostgreSQL server programs (version 14 or newer) were found. " +
	"Without DATABASE_URL, Osk runs its own private PostgreSQL and needs the server programs postgres and initdb for it; " +
	"they were looked for on PATH, in `pg_config --bindir`, in /usr/lib/postgresql/*/bin and in Homebrew's postgresql@* kegs. " +
	"Install them (Debian or Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@16`), " +
	"or set DATABASE_URL to a PostgreSQL database Osk may use.")

// binaries is a directory holding a usable initdb and postgres.
type binaries struct {
	dir   string
	major int
}

func (b binaries) path(program string) string { return filepath.Join(b.dir, program) }

// findBinaries picks the server installation to run: the newest usable one
// found where the usual packages put them, or, for an existing cluster
// (want > 0), one of the major version that made it, since a server reads
// only the data files of its own major version.
func findBinaries(ctx context.Context, want int) (binaries, error) {
	var seen, tooOld []string
	for _, dir := range candidateDirs(ctx) {
		major, err := serverMajor(ctx, dir)
		if err != nil {
			continue
		}
		switch {
		case want > 0 && major != want:
			seen = append(seen, fmt.Sprintf("PostgreSQL %d in %s", major, dir))
		case want == 0 && major < minMajor:
			tooOld = append(tooOld, fmt.Sprintf("PostgreSQL %d in %s", major, dir))
		default:
			return binaries{dir: dir, major: major}, nil
		}
	}
	switch {
	case want > 0 && len(seen) > 0:
		return binaries{}, fmt.Errorf("pgcluster: the data directory was made by PostgreSQL %d, whose server programs are missing "+
			"(found only %s); install them (Debian or Ubuntu: `apt-get install postgresql-%d`; macOS: `brew install postgresql@%d`) "+
			"or upgrade the directory with pg_upgrade", want, strings.Join(seen, " and "), want, want)
	case len(tooOld) > 0:
		return binaries{}, fmt.Errorf("%w Found only %s, which is too old.", ErrNoBinaries, strings.Join(tooOld, " and "))
	}
	return binaries{}, ErrNoBinaries
}

// candidateDirs lists the directories that hold both postgres and initdb, in
// order of preference and without repeats. Symbolic links are resolved so
// that a postgres on PATH linked from a versioned directory is paired with
// the initdb of that same version.
func candidateDirs(ctx context.Context) []string {
	var dirs []string
	add := func(dir string) {
		dir, err := filepath.EvalSymlinks(dir)
		if err != nil || slices.Contains(dirs, dir) || !isProgram(filepath.Join(dir, "postgres")) || !isProgram(filepath.Join(dir, "initdb")) {
			return
		}
		dirs = append(dirs, dir)
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if p, err := filepath.EvalSymlinks(p); err == nil {
			add(filepath.Dir(p))
		}
	}
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.CommandContext(ctx, p, "--bindir").Output(); err == nil {
			add(strings.TrimSpace(string(out)))
		}
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu
		"/usr/pgsql-*/bin",                   // the PostgreSQL project's RPMs
		"/opt/homebrew/opt/postgresql@*/bin", // Homebrew on Apple silicon
		"/usr/local/opt/postgresql@*/bin",    // Homebrew on Intel Macs
	} {
		for _, dir := range newestFirst(pattern) {
			add(dir)
		}
	}
	return dirs
}

var versionInPath = regexp.MustCompile(`(\d+)(?:\.(\d+))?`)

// newestFirst globs pattern and orders the matches by the version number in
// the part the wildcard matched, highest first.
func newestFirst(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	prefix := pattern[:strings.IndexByte(pattern, '*')]
	version := func(dir string) (int, int) {
		m := versionInPath.FindStringSubmatch(strings.TrimPrefix(dir, prefix))
		if m == nil {
			return 0, 0
		}
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		return major, minor
	}
	slices.SortStableFunc(matches, func(a, b string) int {
		aMajor, aMinor := version(a)
		bMajor, bMinor := version(b)
		if aMajor != bMajor {
			return bMajor - aMajor
		}
		return bMinor - aMinor
	})
	return matches
}

func isProgram(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

var serverVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// serverMajor asks the server program for its major version.
func serverMajor(ctx context.Context, dir string) (int, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("pgcluster: %s --version: %w", filepath.Join(dir, "postgres"), err)
	}
	m := serverVersion.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgcluster: %s --version said %q", filepath.Join(dir, "postgres"), out)
	}
	return strconv.Atoi(string(m[1]))
}
