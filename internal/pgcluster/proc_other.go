//go:build !linux

package pgcluster

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

func inspectProcess(pid int) (procInfo, bool) {
	out, err := exec.Command("ps", "-o", "stat=", "-o", "comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return procInfo{}, false
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		return procInfo{}, false
	}
	name := filepath.Base(strings.Join(fields[1:], " "))
	return procInfo{name: name, zombie: strings.HasPrefix(fields[0], "Z")}, true
}
