"""Store: what the server keeps on disk between visits.

- `registry`: the folder of model directories, which one is active, atomic pointers, name rules.

May import `tagger.core` and `tagger.model` (to read and load what it stores). Every rule that
protects the server's disk or its shared state is enforced here, not only in a page.
"""
