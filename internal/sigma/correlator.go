package sigma

type compiledCorrelation struct{ rule *Rule }

func (c *compiler) compileCorrelations() []error { return nil }
