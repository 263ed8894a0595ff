package sigma

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

const correlatorStateVersion = 1

type savedCorrelator struct {
	Version int
	Now     int64
	Corrs   []savedCorrelation
}

type savedCorrelation struct {
	Key    string // rule id, or title when the rule has no id
	Groups map[string]*corrGroup
}

func corrKey(r *Rule) string {
	if r.ID != "" {
		return "id:" + r.ID
	}
	return "title:" + r.Title
}

// MarshalBinary saves the correlator's state (open windows per rule and
// group) so a server can restore it after a restart.
func (c *Correlator) MarshalBinary() ([]byte, error) {
	st := savedCorrelator{Version: correlatorStateVersion, Now: c.now}
	for i, groups := range c.states {
		st.Corrs = append(st.Corrs, savedCorrelation{Key: corrKey(c.set.correlations[i].rule), Groups: groups})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&st); err != nil {
		return nil, fmt.Errorf("sigma: saving correlator state: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary restores state saved by MarshalBinary. State of
// correlation rules no longer in the set is dropped.
func (c *Correlator) UnmarshalBinary(data []byte) error {
	var st savedCorrelator
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return fmt.Errorf("sigma: restoring correlator state: %w", err)
	}
	if st.Version != correlatorStateVersion {
		return fmt.Errorf("sigma: correlator state version %d, want %d", st.Version, correlatorStateVersion)
	}
	byKey := map[string]int{}
	for i, cc := range c.set.correlations {
		byKey[corrKey(cc.rule)] = i
	}
	for i := range c.states {
		c.states[i] = map[string]*corrGroup{}
	}
	for _, sc := range st.Corrs {
		i, ok := byKey[sc.Key]
		if !ok {
			continue
		}
		for k, g := range sc.Groups {
			if g != nil && len(g.Values) == len(c.set.correlations[i].c.GroupBy) {
				c.states[i][k] = g
			}
		}
	}
	c.now = st.Now
	return nil
}
