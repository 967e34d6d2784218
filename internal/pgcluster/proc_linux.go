package pgcluster

import (
	"os"
	"strconv"
	"strings"
)

func inspectProcess(pid int) (procInfo, bool) {
	proc := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	info, ok := parseStat(string(b))
	// Only the process's owner and root may look at its working directory.
	if cwd, err := os.Stat(proc + "/cwd"); err == nil {
		info.cwd = cwd
	}
	return info, ok
}

// parseStat reads /proc/PID/stat: "pid (name) state ...". The name
// may itself contain spaces and parentheses, hence the last ')'.
func parseStat(s string) (procInfo, bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procInfo{}, false
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) == 0 {
		return procInfo{}, false
	}
	return procInfo{name: s[open+1 : end], zombie: fields[0] == "Z" || fields[0] == "X"}, true
}
