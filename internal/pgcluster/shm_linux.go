package pgcluster

import "golang.org/x/sys/unix"

// shmInUse reports whether processes of the server that recorded pf are
// still attached to its System V shared memory segment. PostgreSQL keeps the
// segment for this very purpose: every server process is attached to it for
// as long as it lives, so a count of zero means the server is entirely gone.
func shmInUse(pf pidFile) bool {
	desc, ok := serverShm(pf)
	return ok && desc.Nattch > 0
}

// removeShm removes the server's segment once nobody uses it, as PostgreSQL
// does on a clean shutdown.
func removeShm(pf pidFile) {
	if desc, ok := serverShm(pf); ok && desc.Nattch == 0 {
		_, _ = unix.SysvShmCtl(pf.shmID, unix.IPC_RMID, nil)
	}
}

// serverShm describes the segment pf names, unless it is gone or, its key
// differing, now belongs to someone else.
func serverShm(pf pidFile) (unix.SysvShmDesc, bool) {
	var desc unix.SysvShmDesc
	if pf.shmID < 0 {
		return desc, false
	}
	if _, err := unix.SysvShmCtl(pf.shmID, unix.IPC_STAT, &desc); err != nil {
		return desc, false
	}
	return desc, uint32(desc.Perm.Key) == pf.shmKey
}
