package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/citizen-network/osk/internal/live"
)

// ordinaryRequests is the room a Fly machine keeps for requests other than
// live streams when every stream it takes is open.
const ordinaryRequests = 200

// TestFlyConfig keeps fly.toml deployable: the settings README.md promises.
func TestFlyConfig(t *testing.T) {
	var fly struct {
		App           string `toml:"app"`
		PrimaryRegion string `toml:"primary_region"`
		Env           map[string]string
		Deploy        struct {
			ReleaseCommand string `toml:"release_command"`
		}
		Build struct {
			Builder    string
			Buildpacks []string
			Args       map[string]string
		}
		HTTPService struct {
			InternalPort int  `toml:"internal_port"`
			ForceHTTPS   bool `toml:"force_https"`
			Concurrency  struct {
				Type      string
				SoftLimit int `toml:"soft_limit"`
				HardLimit int `toml:"hard_limit"`
			}
			Checks []struct {
				Path   string
				Method string
			}
		} `toml:"http_service"`
	}
	if _, err := toml.DecodeFile("../../fly.toml", &fly); err != nil {
		t.Fatalf("fly.toml: %v", err)
	}
	if fly.App == "" || fly.PrimaryRegion == "" {
		t.Error("app and primary_region must be set")
	}
	if fly.Env["APP_ENV"] != "production" {
		t.Errorf("APP_ENV = %q, want production", fly.Env["APP_ENV"])
	}
	if fly.Env["PORT"] == "" || fly.Env["PORT"] != strconv.Itoa(fly.HTTPService.InternalPort) {
		t.Errorf("PORT %q must equal internal_port %d", fly.Env["PORT"], fly.HTTPService.InternalPort)
	}
	if !fly.HTTPService.ForceHTTPS {
		t.Error("force_https must be true")
	}
	// Fly passes release_command to the buildpack's entrypoint, which runs
	// osk with it as the arguments.
	if args := strings.Fields(fly.Deploy.ReleaseCommand); len(args) == 0 || args[0] != "migrate" {
		t.Errorf("release_command = %q, want the arguments of osk: migrate", fly.Deploy.ReleaseCommand)
	}
	// Open live streams count as requests in flight: a full set of them
	// must leave room for votes and pages.
	c := fly.HTTPService.Concurrency
	if c.Type != "requests" || c.SoftLimit < live.DefaultMaxSubscribers || c.HardLimit < c.SoftLimit+ordinaryRequests {
		t.Errorf("concurrency limits = %+v, want soft_limit at least the %d live streams an instance takes and hard_limit %d above it",
			c, live.DefaultMaxSubscribers, ordinaryRequests)
	}
	healthy := false
	for _, c := range fly.HTTPService.Checks {
		if c.Path == "/healthz" {
			healthy = true
		}
	}
	if !healthy {
		t.Error("no health check on /healthz")
	}
	if fly.Build.Args["BP_GO_TARGETS"] != "./cmd/osk" {
		t.Errorf("the buildpack must build ./cmd/osk, got %q", fly.Build.Args["BP_GO_TARGETS"])
	}
}

// An ssh session into the buildpack's image has no osk on PATH; its
// launcher runs it.
func TestReadme_RunsOperatorCommandsOnFlyThroughTheLauncher(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ssh := regexp.MustCompile(`fly ssh console -C "([^"]*)"`).FindAllStringSubmatch(string(readme), -1)
	if len(ssh) == 0 {
		t.Fatal("README.md shows no operator command over fly ssh console")
	}
	for _, m := range ssh {
		if !strings.HasPrefix(m[1], "/cnb/process/web ") {
			t.Errorf("README.md runs %q over ssh; the buildpack's image runs osk as /cnb/process/web", m[1])
		}
	}
}
