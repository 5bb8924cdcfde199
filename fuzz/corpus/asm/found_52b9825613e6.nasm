rt\/
