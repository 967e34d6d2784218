package pgcluster

import "golang.org/x/sys/unix"

// shmInUse reports whether processes of the server that recorded pf are
// still attached to its System V shared memory segment. PostgreSQL keeps the
// segment for this very purpose: every server process is attached to it for
// as long as it lives, so a count of zero means the server is entirely gone.
// macOS does not report a segment's key, so only its id is compared.
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

func serverShm(pf pidFile) (unix.SysvShmDesc, bool) {
	var desc unix.SysvShmDesc
	if pf.shmID < 0 {
		return desc, false
	}
	_, err := unix.SysvShmCtl(pf.shmID, unix.IPC_STAT, &desc)
	return desc, err == nil
}
