package cli

// Every command has its own file now; stubs for new nouns go here.
