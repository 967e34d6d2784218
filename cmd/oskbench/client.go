package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client talks to Osk over HTTP with personal access tokens.
type client struct {
	base string
	hc   *http.Client
}

// newClient keeps up to conns connections open, so that every virtual
// voter keeps the connection of its first request, as a browser would.
func newClient(base string, conns int) *client {
	return &client{base: base, hc: &http.Client{
		Timeout: 5 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        conns + 16,
			MaxIdleConnsPerHost: conns + 16,
			IdleConnTimeout:     10 * time.Minute,
			DisableCompression:  true,
		},
	}}
}

// call sends a request with the token and, for an answer with status
// want, decodes its JSON into out (when not nil). It returns how long the
// request took.
func (c *client) call(ctx context.Context, method, path, token string, body any, want int, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", "text/html")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return time.Since(start), fmt.Errorf("%s %s: %w", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		if len(b) > 500 {
			b = b[:500]
		}
		return elapsed, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return elapsed, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return elapsed, nil
}

// close drops the kept connections.
func (c *client) close() { c.hc.CloseIdleConnections() }
