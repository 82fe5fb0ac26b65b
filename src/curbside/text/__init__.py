"""Text tools every stage may import (they import nothing above `domain`/`ingest.sentences`)."""
