// Package browsertest walks through Osk's pages in a real Chromium as a
// person does, clicking, typing and pressing keys, and checks every page it
// lands on with axe-core against WCAG 2.2 levels A and AA. When a journey
// fails it leaves a screenshot and the page's HTML under
// test-output/browser/<TestName>/ at the root of the repository.
//
// A journey is a test that opens a Page on a running Osk and acts as one
// person, by the words on the screen:
//
//	func TestJourney_MemberReadsMinutes(t *testing.T) {
//		t.Parallel()
//		inst := osktest.Start(t, osktest.Options{})
//		p := browsertest.Open(t, inst.URL)
//		p.SignIn("ada@example.org", "Ada Lovelace")
//		p.ClickLink("Membership")
//		p.See("Active member")
//	}
//
// Open(..., KeyboardOnly()) makes the same journey by Tab, Enter, Space and
// typing alone (TabTo, PressAndWait, TypeKeys), and WithoutJavaScript() in
// a browser that runs no JavaScript. NewTab opens a second tab of the same
// person, signed in as they are; Within narrows a page that repeats a form
// to the form a person means; WaitToSee waits for a live update. Narrow
// makes the window as narrow as a phone's, and checks that every page
// reflows to fit it; ClickTwice clicks again while the first click's
// answer is on its way.
//
// It is for tests only: nothing that Osk builds or serves imports it, and a
// test proves it. A test package that uses it needs dbtest.Main in its
// TestMain (for the server under test, see osktest) and nothing more: the
// first Open starts the package's Chromium, which ends with the test binary.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser, which
// .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// Timeouts. A step is one action of a journey and whatever it waits for: a
// click and the page it opens, or axe-core's check of a page.
const (
	startTimeout = 30 * time.Second
	stepTimeout  = 20 * time.Second
)

// profilePrefix starts the name of every profile directory, followed by the
// process id of the test binary that owns it.
const profilePrefix = "osk-browsertest-"

// browser is the test binary's one Chromium. Every journey of a test
// package opens its tabs in it: starting Chromium takes about a second,
// opening a tab a few milliseconds. It lives as long as the test binary,
// whose TestMain ends in os.Exit: the kernel then kills Chromium with it
// (chromedp starts it with a parent-death signal), and the next run removes
// the profile directory left behind.
var browser struct {
	once sync.Once
	ctx  context.Context // Chromium's root context; tabs are made from it
	err  error
}

// browserContext returns the Chromium of the test binary, starting it on
// first use.
func browserContext() (context.Context, error) {
	browser.once.Do(func() { browser.ctx, browser.err = startChromium() })
	return browser.ctx, browser.err
}

func startChromium() (context.Context, error) {
	path, err := findChromium()
	if err != nil {
		return nil, err
	}
	removeStaleProfiles()
	profile, err := os.MkdirTemp("", profilePrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("browsertest: profile directory: %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 1024),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop := func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	}
	if err := startWithin(ctx, stop, "Chromium"); err != nil {
		return nil, fmt.Errorf("browsertest: start %s: %w", path, err)
	}
	return ctx, nil
}

// findChromium finds the browser. There is no skipping for want of one: a
// browser journey that cannot run is a failure that says what to install.
func findChromium() (string, error) {
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("browsertest: Chromium is not installed: install the chromium package " +
		"(apt-get install chromium, as .ci/run does) or put chromium on PATH")
}

// startWithin runs the first action of a chromedp context, which starts the
// browser or opens the tab. That first action binds the browser or tab to
// the context it is given for good, so it cannot be given a deadline of its
// own; instead it is abandoned, and stop called, when it takes longer than
// startTimeout.
func startWithin(ctx context.Context, stop func(), what string) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			stop()
		}
		return err
	case <-timer.C:
		stop()
		<-done
		return fmt.Errorf("%s did not start within %s", what, startTimeout)
	}
}

// removeStaleProfiles removes the profile directories of test binaries that
// have ended.
func removeStaleProfiles() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), profilePrefix+"*"))
	for _, dir := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), profilePrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || running(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

func running(pid int) bool {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = proc.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
