package main

import (
	"strconv"
	"testing"

	"github.com/BurntSushi/toml"
)

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
	if fly.Deploy.ReleaseCommand != "osk migrate" {
		t.Errorf("release_command = %q", fly.Deploy.ReleaseCommand)
	}
	if fly.HTTPService.Concurrency.HardLimit == 0 || fly.HTTPService.Concurrency.SoftLimit > fly.HTTPService.Concurrency.HardLimit {
		t.Errorf("concurrency limits = %+v", fly.HTTPService.Concurrency)
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
