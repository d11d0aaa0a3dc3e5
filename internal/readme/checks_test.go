package readme

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/contract"
)

// TestREADMEListsEveryCheck: the README's table of checks names exactly the contract's
// checks (contract.Checks, from the table in contract/checks.go), in their order.
func TestREADMEListsEveryCheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "| check | what it promises |")
	if !ok {
		t.Fatal("README.md has no table of checks")
	}
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	var names []string
	for _, line := range strings.Split(table, "\n")[2:] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			break
		}
		names = append(names, m[1])
	}
	if !slices.Equal(names, contract.Checks) {
		t.Fatalf("README lists %v\ncontract.Checks is %v", names, contract.Checks)
	}
	for _, c := range contract.CheckInfos() {
		if c.Description == "" {
			t.Errorf("check %s has no description", c.Name)
		}
	}
}
