"""One module per patch of moto (or of werkzeug's server, which moto runs); reflex_moto.PATCHES orders them.

Each module has:
  WRITTEN_FOR  "<package> <version>" it was written and tested against, e.g. "moto 5.2.1";
  REQUIRES     the dotted names it reads or replaces ("moto.sqs.models.Queue._setup_dlq"), checked first;
  apply()      checks what REQUIRES cannot (behaviour, identity), then patches: returns None, or why it
               left moto as it is. It patches only after its last check, so a refusal changes nothing.
A module imports moto only inside apply(): loading it never fails, whatever moto is installed.
"""
