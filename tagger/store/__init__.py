"""Store: what the server keeps on disk between visits, and who may change it.

- `registry`: the folder of model directories, which one is active, atomic pointers, name rules; it refuses
  what the rules below forbid, whoever calls it.
- `admin`: the admin password (environment or secrets.toml) and the grants that allow admin changes.
- `quotas`: how many models visitors may save, per session and in all, and which old ones make room.

May import `tagger.core` and `tagger.model` (to read and load what it stores). Every rule that
protects the server's disk or its shared state is enforced here, not only in a page.
"""
