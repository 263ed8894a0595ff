package tlog

// InclusionProof is an RFC 9162 inclusion proof as kubu writes it in JSON:
// hashes are base64 (encoding/json's []byte form).
type InclusionProof struct {
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	Hashes    [][]byte `json:"hashes"`
}

// Verify checks the proof for leaf against root.
func (p InclusionProof) Verify(leaf, root []byte) error {
	return VerifyInclusion(p.LeafIndex, p.TreeSize, leaf, p.Hashes, root)
}
