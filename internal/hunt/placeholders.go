package hunt

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// placeholderWarnings names each expand placeholder the rules used but
// --placeholder did not define: it was matched as an empty list (a
// selection on it never matches, a filter on it never excludes).
func placeholderWarnings(set *sigma.Set) []string {
	if set == nil {
		return nil
	}
	missing := set.MissingPlaceholders()
	names := make([]string, 0, len(missing))
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	var warns []string
	for _, n := range names {
		var files []string
		for _, r := range missing[n] {
			files = append(files, r.File)
		}
		warns = append(warns, fmt.Sprintf("placeholder %%%s%% has no values, matched as an empty list (set --placeholder %s=VALUE) in %s",
			n, n, strings.Join(files, ", ")))
	}
	return warns
}
