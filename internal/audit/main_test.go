package audit_test

import (
	"testing"

	"github.com/citizen-network/osk/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
