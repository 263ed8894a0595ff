package hunt

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// missingPlaceholder finds the placeholder name in the sigma compiler's
// error for an expand placeholder that has no values.
var missingPlaceholder = regexp.MustCompile(`placeholder %([^%]+)% has no values`)

// fillPlaceholders gives every expand placeholder that the rules use but
// opts does not define an empty list of values, so those rules load: a
// value list that is empty matches nothing (a selection on it never
// matches, a filter on it never excludes). Only the rules of files that
// mention "expand" are tried, on their own, to find the names. It returns
// one warning per placeholder filled.
func fillPlaceholders(rules []*sigma.Rule, withExpand map[*sigma.Rule]bool, opts sigma.Options) []string {
	var probe []*sigma.Rule
	for _, r := range rules {
		if withExpand[r] && r.Detection != nil {
			probe = append(probe, r)
		}
	}
	if len(probe) == 0 {
		return nil
	}
	users := map[string][]string{}
	for {
		_, err := sigma.Compile(probe, opts)
		found := false
		for _, e := range unjoin(err) {
			var le *sigma.LoadError
			if e == nil || !errors.As(e, &le) {
				continue
			}
			m := missingPlaceholder.FindStringSubmatch(le.Err.Error())
			if m == nil {
				continue
			}
			if _, done := opts.Placeholders[m[1]]; !done {
				opts.Placeholders[m[1]] = []string{}
				found = true
			}
			users[m[1]] = append(users[m[1]], le.File)
		}
		if !found {
			break
		}
	}
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	var warns []string
	for _, n := range names {
		warns = append(warns, fmt.Sprintf("placeholder %%%s%% has no values, matched as an empty list (set --placeholder %s=VALUE) in %s",
			n, n, strings.Join(users[n], ", ")))
	}
	return warns
}
