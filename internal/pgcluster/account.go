package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// serverUser is the system account that runs the server when osk runs as
// root, which PostgreSQL refuses to run as. Every PostgreSQL package creates
// it.
const serverUser = "postgres"

// account is the system user the server programs run as.
type account struct {
	uid  int
	gids []int               // the primary group first
	cred *syscall.Credential // nil when the server runs as this process's user
}

// serverAccount is this process's user, or the postgres system user when
// this process runs as root.
func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gids: []int{os.Getegid()}}, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: PostgreSQL refuses to run as root, so osk runs it as the system user %s, "+
			"which this machine lacks; create it (Debian: `adduser --system --group postgres`) or run osk as an ordinary user: %w",
			serverUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: user %s: uid %q: %w", serverUser, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: user %s: gid %q: %w", serverUser, u.Gid, err)
	}
	a := account{uid: uid, gids: []int{gid}}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil && g != gid {
				a.gids = append(a.gids, g)
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	a.cred = cred
	return a, nil
}

// prepareDir creates the data directory if needed and, when the server runs
// as another user, gives that user a directory that is still empty. A
// directory holding a cluster keeps its owner: PostgreSQL itself explains a
// wrong one.
func (a account) prepareDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: create data directory: %w", err)
	}
	if a.cred == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if len(entries) > 0 {
		return nil
	}
	if err := os.Chown(dir, a.uid, a.gids[0]); err != nil {
		return fmt.Errorf("pgcluster: give the data directory to %s: %w", serverUser, err)
	}
	return nil
}

// explainStartError turns a failure to launch a server program as another
// user into advice when the cause is a directory on the way to the data
// directory that this user may not enter. Osk leaves the permissions of the
// operator's directories alone and says what to change instead.
func (a account) explainStartError(dir string, err error) error {
	if a.cred == nil || !errors.Is(err, syscall.EACCES) {
		return err
	}
	var path []string
	for p := dir; ; p = filepath.Dir(p) {
		path = append(path, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	slices.Reverse(path)
	for _, p := range path {
		info, statErr := os.Stat(p)
		if statErr != nil || a.canSearch(info) {
			continue
		}
		return fmt.Errorf("pgcluster: PostgreSQL refuses to run as root, so osk runs it as the system user %s, "+
			"which cannot reach the data directory %s because it may not enter %s (mode %s, owner %s). "+
			"Use a data directory that user can reach (for example under /var/lib or /tmp), "+
			"let it through with `chmod o+x %s`, or run osk as an ordinary user: %w",
			serverUser, dir, p, info.Mode().Perm(), owner(info), p, err)
	}
	return err
}

// canSearch applies the permission bits of a directory to the account. It
// ignores access control lists, which is why it only explains a failure that
// the kernel has already reported.
func (a account) canSearch(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := info.Mode().Perm()
	switch {
	case int(st.Uid) == a.uid:
		return perm&0o100 != 0
	case slices.Contains(a.gids, int(st.Gid)):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

func owner(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "unknown"
	}
	uid := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "uid " + uid
}
