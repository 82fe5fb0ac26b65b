"""Text tools every stage may import: the bottom layer, importing no other curbside package
but `curbside.knowledge_files`."""
