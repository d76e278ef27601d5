"""Committed protoc output checked against its .proto: protoc is run again and the two
serialized descriptors compared (grpcio-tools, a test extra)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest


def descriptor_bytes(path: Path) -> bytes:
    """The serialized FileDescriptorProto protoc wrote into a _pb2 module."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "AddSerializedFile"):
            value = node.args[0]
            assert isinstance(value, ast.Constant) and isinstance(value.value, bytes)
            return value.value
    raise AssertionError(f"no AddSerializedFile in {path}")


def assert_generated_from(proto: Path, generated: Path, scratch: Path) -> None:
    """`generated` is what protoc makes of `proto` today."""
    pytest.importorskip("grpc_tools")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{proto.parent}",
                    f"--python_out={scratch}", str(proto)],
                   check=True, capture_output=True, timeout=60)
    assert descriptor_bytes(scratch / f"{proto.stem}_pb2.py") == descriptor_bytes(generated), \
        f"regenerate: see the head of {proto.name}"
