"""Schemathesis hooks for the Sluice fuzz run (loaded through SCHEMATHESIS_HOOKS).

POST /v1/code-packages takes an uncompressed tar, a media type schemathesis cannot serialise by
itself. A generated body that the document calls valid (a string) becomes a real tar holding it as
one file, so the server must accept it; anything else (a schema-violating body) is sent as JSON
bytes, which are no tar, so the server must refuse it.
"""
import io
import json
import tarfile

import schemathesis


@schemathesis.serializer("application/x-tar", "application/tar")
def tar_body(ctx, value):
    if not isinstance(value, str):
        return json.dumps(value).encode()
    data = value.encode("utf-8", "surrogatepass")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("main.py")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
