package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.14.1 (MPL-2.0, testdata/axe-core.LICENSE). It is
// put into the pages of tests only: Osk never serves it.
//
//go:embed testdata/axe.min.js
var axeSource string

// wcagTags are the axe-core rule tags every page must pass: WCAG 2.0, 2.1
// and 2.2 at levels A and AA.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Violation is a rule of axe-core that a page breaks, with where.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		// Target is a CSS selector for each frame down to the element.
		Target  []json.RawMessage `json:"target"`
		Summary string            `json:"summary"`
	} `json:"nodes"`
}

// CheckA11y runs axe-core on the page in the browser tab of ctx with the
// rules of WCAG 2.2 levels A and AA, and fails t, listing each violation
// with its rule, impact, help and the elements at fault, if there is any.
// Page runs it on every page it lands on.
func CheckA11y(t testing.TB, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	address, violations, err := Audit(ctx)
	if err != nil {
		t.Fatalf("browsertest: axe-core: %v", err)
	}
	if len(violations) > 0 {
		t.Errorf("%s", Report(address, violations))
	}
}

// Audit runs axe-core on the page in the browser tab of ctx, and returns
// the page's address and what it breaks of WCAG 2.2 A and AA. axe-core needs
// JavaScript, so on a tab opened WithoutJavaScript it is switched on for the
// check, and off again after: the page's own scripts ran (or not) when it
// loaded, and do not run again.
func Audit(ctx context.Context) (address string, violations []Violation, err error) {
	if ctx.Value(scriptsOff{}) != nil {
		if err := setScripts(ctx, true); err != nil {
			return "", nil, fmt.Errorf("switch JavaScript on for axe-core: %w", err)
		}
		defer func() {
			// Off again even when the check failed or ran out of time: the
			// rest of the journey is without JavaScript.
			offCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stepTimeout)
			defer cancel()
			if offErr := setScripts(offCtx, false); offErr != nil && err == nil {
				err = fmt.Errorf("switch JavaScript off again after axe-core: %w", offErr)
			}
		}()
	}
	return audit(ctx)
}

func audit(ctx context.Context) (string, []Violation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err != nil {
		return "", nil, err
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined")); err != nil {
			return "", nil, fmt.Errorf("load axe-core: %w", err)
		}
	}
	tags, _ := json.Marshal(wcagTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]})
		.then(r => JSON.stringify({
			url: location.href,
			violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
				nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})),
		}))`
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		return "", nil, fmt.Errorf("run axe-core: %w", err)
	}
	var res struct {
		URL        string      `json:"url"`
		Violations []Violation `json:"violations"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		return "", nil, fmt.Errorf("read axe-core's results: %w", err)
	}
	return res.URL, res.Violations, nil
}

// Report lists violations for a person to fix.
func Report(address string, violations []Violation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "axe-core: %d WCAG 2.2 A/AA violation(s) on %s:", len(violations), address)
	for _, v := range violations {
		fmt.Fprintf(&b, "\n- %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			targets := make([]string, 0, len(n.Target))
			for _, raw := range n.Target {
				var s string
				if json.Unmarshal(raw, &s) != nil {
					s = string(raw)
				}
				targets = append(targets, s)
			}
			fmt.Fprintf(&b, "\n  * %s\n    %s", strings.Join(targets, " > "),
				strings.ReplaceAll(strings.TrimSpace(n.Summary), "\n", "\n    "))
		}
	}
	return b.String()
}
