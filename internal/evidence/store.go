package evidence

import (
	"path/filepath"

	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/keys"
)

// LocalStore opens the blob store in DATA/evidence, its objects' keys
// derived from the key ring (purpose "evidence/blob").
func LocalStore(dataDir string, ring *keys.Ring) (*blob.Local, error) {
	return blob.NewLocal(filepath.Join(dataDir, "evidence"), ring.Derive("evidence/blob", 32))
}
