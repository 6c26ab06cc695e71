-- One database per service: no service reads another's tables (DESIGN.md, "Data ownership").
CREATE DATABASE warranty;
CREATE DATABASE repairs;
CREATE DATABASE notifications;
CREATE DATABASE portal;
