"""FER2013 readers (CSV and image-folder layouts, cached) and synthetic faces."""
